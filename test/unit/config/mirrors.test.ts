import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mirrors, loadConfig, parseMirrorFlag } from '../../../src/config/mirrors.js';

describe('mirrors', () => {
  it('maps registries to endpoints (index.docker.io is docker.io; bare host means https)', () => {
    const m = new Mirrors([parseMirrorFlag('docker.io=http://127.0.0.1:5001/'), parseMirrorFlag('quay.io=proxy.corp:8443')]);
    expect(m.endpointFor('docker.io')).toBe('http://127.0.0.1:5001');
    expect(m.endpointFor('index.docker.io')).toBe('http://127.0.0.1:5001');
    expect(m.endpointFor('quay.io')).toBe('https://proxy.corp:8443');
    expect(m.endpointFor('ghcr.io')).toBeUndefined();
  });

  it('rewrites URLs by the longest matching prefix', () => {
    const m = new Mirrors([
      ['https://github.com/', 'http://127.0.0.1:8080/gh/'],
      ['https://github.com/rancher/', 'http://127.0.0.1:8080/rancher/'],
    ]);
    expect(m.rewriteUrl('https://github.com/rancher/rke2/x')).toBe('http://127.0.0.1:8080/rancher/rke2/x');
    expect(m.rewriteUrl('https://github.com/vmware-tanzu/velero/y')).toBe('http://127.0.0.1:8080/gh/vmware-tanzu/velero/y');
    expect(m.rewriteUrl('https://example.org/z')).toBe('https://example.org/z');
  });

  it('lets later rules replace earlier ones for the same FROM', () => {
    const m = new Mirrors([['docker.io', 'http://a'], ['docker.io', 'http://b']]);
    expect(m.endpointFor('docker.io')).toBe('http://b');
  });

  it('rejects malformed flags with a usage error', () => {
    expect(() => parseMirrorFlag('docker.io')).toThrowError(expect.objectContaining({ code: 'USAGE' }));
    expect(() => parseMirrorFlag('https://github.com/=ftp://x')).toThrow(/must map to an http/);
  });

  it('reads mirrors from a config file and refuses unknown keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-cfg-'));
    writeFileSync(join(dir, 'ok.yaml'), 'mirrors:\n  docker.io: http://127.0.0.1:5000\n');
    writeFileSync(join(dir, 'bad.yaml'), 'mirror:\n  docker.io: x\n');
    expect((await loadConfig(join(dir, 'ok.yaml'))).mirrors).toEqual([['docker.io', 'http://127.0.0.1:5000']]);
    await expect(loadConfig(join(dir, 'bad.yaml'))).rejects.toThrow(/unknown key\(s\) mirror/);
  });
});

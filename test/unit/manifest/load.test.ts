import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/manifest/load.js';

const HEX = 'ab'.repeat(32);
const head = `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: demo\n`;
const errorOf = (text: string): { code: string; message: string } => {
  try {
    parseManifest(text, 'm.yaml');
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected the manifest to be rejected');
};

describe('parseManifest', () => {
  it('normalises images, applies platforms and derives file names', () => {
    const m = parseManifest(
      `${head}spec:
  images:
    - velero/velero:v1.9.1
    - ref: quay.io/prometheus/prometheus:v2.53.0
      platforms: [linux/amd64, linux/arm64]
    - ref: busybox
      platforms: all
  files:
    - url: https://example.org/dl/tool%20x.tar.gz
      sha256: ${HEX.toUpperCase()}
    - url: https://example.org/v/velero.tar.gz
      checksums: https://example.org/v/CHECKSUM
      name: velero-cli.tar.gz
`,
      'm.yaml',
    );
    expect(m.name).toBe('demo');
    expect(m.platforms).toEqual(['linux/amd64']);
    expect(m.images).toEqual([
      { ref: 'docker.io/velero/velero:v1.9.1', platforms: ['linux/amd64'] },
      { ref: 'quay.io/prometheus/prometheus:v2.53.0', platforms: ['linux/amd64', 'linux/arm64'] },
      { ref: 'docker.io/library/busybox:latest', platforms: 'all' },
    ]);
    expect(m.files).toEqual([
      { url: 'https://example.org/dl/tool%20x.tar.gz', name: 'tool x.tar.gz', sha256: HEX },
      { url: 'https://example.org/v/velero.tar.gz', name: 'velero-cli.tar.gz', checksums: 'https://example.org/v/CHECKSUM' },
    ]);
  });

  it('reports an unknown key at its own line and column', () => {
    const e = errorOf(`${head}spec:\n  images: []\n  imagez: []\n`);
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain('m.yaml:7:11: spec.imagez: unknown key "imagez"');
  });

  it('reports every problem with file:line:col', () => {
    const e = errorOf(`${head}spec:
  images:
    - "Bad Ref"
    - busybox
    - docker.io/library/busybox:latest
  files:
    - url: https://example.org/a.tgz
    - url: ftp://example.org/b.tgz
      sha256: ${HEX}
`);
    expect(e.message).toContain('m.yaml:11:7: spec.files.0: give exactly one of sha256');
    expect(e.message).toContain('m.yaml:12:12: spec.files.1.url: only http:// and https:// URLs are supported');
  });

  it('reports semantic problems (bad refs, duplicates) with positions', () => {
    const e = errorOf(`${head}spec:\n  images:\n    - "Bad Ref"\n    - busybox\n    - docker.io/library/busybox:latest\n`);
    expect(e.message).toContain('m.yaml:7:7: spec.images.0: invalid image reference "Bad Ref"');
    expect(e.message).toContain('m.yaml:9:7: spec.images.2: duplicate image docker.io/library/busybox:latest (also spec.images.1)');
  });

  it('rejects rke2, charts and apt as not supported yet', () => {
    const e = errorOf(`${head}spec:\n  rke2:\n    version: v1.30.4+rke2r1\n  charts: []\n  apt: []\n`);
    expect(e.message).toMatch(/spec\.rke2: RKE2 releases \(spec\.rke2\) are not supported yet/);
    expect(e.message).toMatch(/spec\.charts: Helm charts \(spec\.charts\) are not supported yet/);
    expect(e.message).toMatch(/spec\.apt: apt packages \(spec\.apt\) are not supported yet/);
  });

  it('gives YAML syntax errors a position', () => {
    expect(errorOf(`${head}spec:\n  images: [a,\n`).message).toMatch(/m\.yaml:\d+:\d+: /);
  });

  it('refuses file names that would escape the staging directory', () => {
    const e = errorOf(`${head}spec:\n  files:\n    - url: https://e.org/x\n      sha256: ${HEX}\n      name: ../etc/passwd\n`);
    expect(e.message).toContain('spec.files.0.name: file name "../etc/passwd" must not contain');
  });
});

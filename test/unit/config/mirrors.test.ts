import { describe, expect, it } from 'vitest';
import { Mirrors, parseMirrorFlag } from '../../../src/config/mirrors.js';

describe('parseMirrorFlag', () => {
  it('tells registry rules from URL prefix rules; registry hosts are normalised, URL prefixes kept as written', () => {
    expect(parseMirrorFlag('docker.io=http://127.0.0.1:5001/')).toEqual(['docker.io', 'http://127.0.0.1:5001']);
    expect(parseMirrorFlag('Index.Docker.IO=127.0.0.1:5001')).toEqual(['docker.io', 'https://127.0.0.1:5001']);
    expect(parseMirrorFlag('127.0.0.1:5000=https://proxy.corp.example/v2mirror')).toEqual([
      '127.0.0.1:5000',
      'https://proxy.corp.example/v2mirror',
    ]);
    expect(parseMirrorFlag('https://github.com/=http://127.0.0.1:8080/gh')).toEqual(['https://github.com/', 'http://127.0.0.1:8080/gh']);
    expect(parseMirrorFlag('HTTPS://GET.RKE2.IO:443=http://127.0.0.1:8080/')).toEqual([
      'HTTPS://GET.RKE2.IO:443',
      'http://127.0.0.1:8080/',
    ]);
    expect(parseMirrorFlag('https://e.org/dl?a=b=http://x/?c=d')).toEqual(['https://e.org/dl?a=b', 'http://x/?c=d']);
  });

  it.each([
    ['docker.io', /expected FROM=TO/],
    ['=http://x', /FROM and TO must both be given/],
    ['docker.io=', /FROM and TO must both be given/],
    ['docker.io/library=http://x', /neither a registry host .* nor a URL prefix/],
    ['docker.io=ftp://x', /TO must be an http:\/\/ or https:\/\/ URL, not ftp:\/\//],
    ['docker.io=http://x/?q=1', /must not have a query or fragment/],
    ['https://github.com/=ftp://x', /TO must be an http/],
    ['ftp://github.com/=http://x', /FROM must be an http/],
    ['https://github.com/=not a url', /TO "not a url" is not a URL/],
  ])('refuses %j with a usage error', (flag, why) => {
    expect(() => parseMirrorFlag(flag)).toThrowError(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(why) }));
  });

  it('refuses credentials in a rule without repeating them', () => {
    for (const flag of [
      'docker.io=http://me:s3cret@127.0.0.1:5000',
      'https://github.com/=https://me:s3cret@proxy/gh/',
      'docker.io=me:s3cret@127.0.0.1:5000/prefix',
      'me:s3cret@127.0.0.1:5000=http://127.0.0.1:5000',
      'docker.io=http://me:s3/cret@127.0.0.1:5000',
      'docker.io=http://me:12/s3cret@127.0.0.1:5000',
    ]) {
      let message = '';
      try {
        parseMirrorFlag(flag);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/credentials .* do not belong in a mirror rule; log in with `docker login HOST`/);
      expect(message).not.toMatch(/s3|cret/);
    }
  });
});

describe('Mirrors', () => {
  it('maps registries to endpoints, whatever Docker Hub alias is used on either side', () => {
    const m = new Mirrors([parseMirrorFlag('index.docker.io=http://127.0.0.1:5001'), parseMirrorFlag('quay.io=proxy.corp:8443')]);
    expect(m.endpointFor('docker.io')).toBe('http://127.0.0.1:5001');
    expect(m.endpointFor('registry-1.docker.io')).toBe('http://127.0.0.1:5001');
    expect(m.endpointFor('QUAY.IO')).toBe('https://proxy.corp:8443');
    expect(m.endpointFor('ghcr.io')).toBeUndefined();
    expect(m.rewriteUrl('https://quay.io/x')).toBe('https://quay.io/x');
  });

  it('rewrites URLs by the longest matching prefix, at path boundaries', () => {
    const m = new Mirrors([
      ['https://github.com/', 'http://127.0.0.1:8080/gh/'],
      ['https://github.com/rancher/', 'http://127.0.0.1:8080/rancher/'],
      ['https://e.org/files', 'http://127.0.0.1:8080/e'],
    ]);
    expect(m.rewriteUrl('https://github.com/rancher/rke2/x')).toBe('http://127.0.0.1:8080/rancher/rke2/x');
    expect(m.rewriteUrl('https://github.com/vmware-tanzu/velero/y')).toBe('http://127.0.0.1:8080/gh/vmware-tanzu/velero/y');
    expect(m.rewriteUrl('https://e.org/files/a.tgz?x=1')).toBe('http://127.0.0.1:8080/e/a.tgz?x=1');
    expect(m.rewriteUrl('https://e.org/files')).toBe('http://127.0.0.1:8080/e');
    expect(m.rewriteUrl('https://e.org/filesystem.tgz')).toBe('https://e.org/filesystem.tgz');
    expect(m.rewriteUrl('https://example.org/z')).toBe('https://example.org/z');
    expect(m.endpointFor('github.com')).toBeUndefined();
  });

  it('lets later rules replace earlier ones for the same FROM (flags after the config file)', () => {
    const m = new Mirrors([
      ['docker.io', 'http://a'],
      ['https://e.org/', 'http://a/'],
      ['index.docker.io', 'http://b'],
      ['https://e.org/', 'http://b/'],
    ]);
    expect(m.endpointFor('docker.io')).toBe('http://b');
    expect(m.rewriteUrl('https://e.org/x')).toBe('http://b/x');
  });

  it('validates rules given to the constructor', () => {
    expect(() => new Mirrors([['docker.io', 'ftp://x']])).toThrowError(expect.objectContaining({ code: 'USAGE' }));
  });
});

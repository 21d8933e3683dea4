import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { formatPurl, ociPurl } from '../../../src/core/purl.js';

const HEX = 'a'.repeat(64);

/** purl-spec PURL-SPECIFICATION.rst, checked against packageurl-js as an independent parser. */
describe('package URLs', () => {
  it('oci: the digest encoded as sha256%3A…, the name the last repository segment, qualifiers sorted', () => {
    const p = ociPurl('docker.io/library/busybox:1.36', `sha256:${HEX}`);
    expect(p).toBe(`pkg:oci/busybox@sha256%3A${HEX}?repository_url=docker.io/library/busybox&tag=1.36`);
    const parsed = PackageURL.fromString(p);
    expect([parsed.type, parsed.namespace, parsed.name, parsed.version]).toEqual(['oci', undefined, 'busybox', `sha256:${HEX}`]);
    expect(parsed.qualifiers).toEqual({ repository_url: 'docker.io/library/busybox', tag: '1.36' });
  });

  it('oci by digest: no tag qualifier; a registry with a port stays in repository_url', () => {
    const p = ociPurl(`127.0.0.1:5000/team/app@sha256:${HEX}`, `sha256:${HEX}`);
    expect(p).toBe(`pkg:oci/app@sha256%3A${HEX}?repository_url=127.0.0.1:5000/team/app`);
    expect(PackageURL.fromString(p).qualifiers).toEqual({ repository_url: '127.0.0.1:5000/team/app' });
  });

  it('deb: vendor namespace, an epoch and a + in the version, arch and distro', () => {
    const p = formatPurl({
      type: 'deb',
      namespace: 'debian',
      name: 'attr',
      version: '1:2.4.47-2+b1',
      qualifiers: { distro: 'bookworm', arch: 'amd64' },
    });
    expect(p).toBe('pkg:deb/debian/attr@1%3A2.4.47-2%2Bb1?arch=amd64&distro=bookworm');
    const parsed = PackageURL.fromString(p);
    expect([parsed.namespace, parsed.name, parsed.version]).toEqual(['debian', 'attr', '1:2.4.47-2+b1']);
  });

  it('generic: a download URL with its own query and a + in the name survive a round trip', () => {
    const url = 'https://example.com/dl?file=a&v=1#frag';
    const p = formatPurl({
      type: 'generic',
      name: 'rke2+x',
      version: 'v1.30.4+rke2r1',
      qualifiers: { download_url: url, checksum: `sha256:${HEX}`, empty: '' },
    });
    expect(p).not.toContain('empty=');
    const parsed = PackageURL.fromString(p);
    expect(parsed.name).toBe('rke2+x');
    expect(parsed.version).toBe('v1.30.4+rke2r1');
    expect(parsed.qualifiers).toEqual({ checksum: `sha256:${HEX}`, download_url: url });
    // Separators inside values are encoded: the string splits into exactly two qualifiers.
    expect(p.split('?')[1]?.split('&')).toHaveLength(2);
  });

  it('refuses a type or qualifier key the spec does not allow', () => {
    expect(() => formatPurl({ type: '1x', name: 'a' })).toThrow(/type/);
    expect(() => formatPurl({ type: 'generic', name: 'a', qualifiers: { 'Bad Key': 'v' } })).toThrow(/key/);
  });
});

import { describe, expect, it } from 'vitest';
import { formatReference, parseReference } from '../../../src/core/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference (Docker normalisation)', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['velero/velero:v1.9.1', 'docker.io/velero/velero:v1.9.1'],
    ['docker.io/velero/velero:v1.9.1', 'docker.io/velero/velero:v1.9.1'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['quay.io/prometheus/prometheus:v2.53.0', 'quay.io/prometheus/prometheus:v2.53.0'],
    ['localhost/foo', 'localhost/foo:latest'],
    ['127.0.0.1:5000/a/b:c', '127.0.0.1:5000/a/b:c'],
    [`registry.k8s.io/pause@${D}`, `registry.k8s.io/pause@${D}`],
    [`registry.k8s.io/pause:3.9@${D}`, `registry.k8s.io/pause:3.9@${D}`],
  ])('%s → %s', (input, want) => {
    expect(formatReference(parseReference(input))).toBe(want);
  });

  it('does not take a port-like tag for a registry', () => {
    const r = parseReference('myhost:5000/app:1.0');
    expect(r).toEqual({ registry: 'myhost:5000', repository: 'app', tag: '1.0' });
  });

  it.each(['', 'foo/UPPER', 'foo:bad tag', `foo@sha256:${'z'.repeat(64)}`, 'foo@md5:abc', ' busybox'])(
    'rejects %j with REFERENCE_INVALID',
    (input) => {
      expect(() => parseReference(input)).toThrowError(expect.objectContaining({ code: 'REFERENCE_INVALID' }));
    },
  );
});

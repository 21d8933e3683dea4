import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/manifest/load.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'manifests');

// The manifests shipped in manifests/ are documentation; they must stay valid.
describe('shipped example manifests', () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s is valid', async (file) => {
    const m = await loadManifest(join(dir, file));
    expect(m.images.length + m.files.length).toBeGreaterThan(0);
  });

  it('example.yaml shows each documented shape', async () => {
    const m = await loadManifest(join(dir, 'example.yaml'));
    expect(m.images).toEqual([
      { ref: 'docker.io/velero/velero:v1.9.1', platforms: ['linux/amd64'] },
      { ref: 'docker.io/velero/velero-plugin-for-aws:v1.5.0', platforms: ['linux/amd64'] },
      { ref: 'quay.io/prometheus/prometheus:v2.53.0', platforms: ['linux/amd64', 'linux/arm64'] },
      { ref: expect.stringMatching(/^registry\.k8s\.io\/pause:3\.9@sha256:[0-9a-f]{64}$/), platforms: ['linux/amd64'] },
    ]);
    expect(m.files).toEqual([
      {
        url: 'https://github.com/vmware-tanzu/velero/releases/download/v1.9.1/velero-v1.9.1-linux-amd64.tar.gz',
        name: 'velero-v1.9.1-linux-amd64.tar.gz',
        checksums: 'https://github.com/vmware-tanzu/velero/releases/download/v1.9.1/CHECKSUM',
      },
    ]);
  });
});

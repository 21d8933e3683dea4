import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildArchiveManifest } from '../../../src/docker-archive/image-toc.js';
import { scanDockerArchive } from '../../../src/docker-archive/scan.js';
import { type SaveImage, dockerSave, gzip, layerTar, tarOf, zstd } from '../../helpers/docker-save.js';
import { requireTools } from '../../helpers/tools.js';

const images: SaveImage[] = [
  { ref: 'docker.io/rancher/hardened-etcd:v3.5.13-k3s1', layers: [layerTar('base'), layerTar('etcd')] },
  { ref: 'docker.io/rancher/mirrored-pause:3.6', layers: [layerTar('base'), layerTar('pause', 100_000)] },
];
const scan = (b: Buffer, name = 't.tar') => scanDockerArchive(Readable.from([b]), name);

describe.runIf(requireTools('zstd'))('scanDockerArchive', () => {
  it('lists the same images from classic, Docker 25 (OCI layout) and crane archives, compressed or not', async () => {
    const seen = new Map<string, string[]>();
    for (const format of ['classic', 'oci', 'crane'] as const) {
      const raw = dockerSave(images, format);
      for (const body of [raw, await zstd(raw), gzip(raw)]) {
        const toc = await scan(body);
        expect(toc.format).toBe({ classic: 'docker-save', oci: 'docker-save+oci-layout', crane: 'tarball' }[format]);
        expect(toc.images.map((i) => i.refs)).toEqual([
          ['docker.io/rancher/hardened-etcd:v3.5.13-k3s1'],
          ['docker.io/rancher/mirrored-pause:3.6'],
        ]);
        // The manifest push will make is a function of the bytes alone: the same for every compression of an archive.
        const manifests = toc.images.map((i) => i.manifest);
        expect(manifests).toEqual(toc.images.map((i) => buildArchiveManifest(i).descriptor.digest));
        const prev = seen.get(format);
        if (prev) expect(manifests).toEqual(prev);
        seen.set(format, manifests);
      }
    }
    // Uncompressed layers are the same blobs (named by diff_id) in classic and OCI-form archives; crane's are gzip.
    expect(seen.get('classic')).toEqual(seen.get('oci'));
    const crane = await scan(dockerSave(images, 'crane'));
    expect(crane.images[0]?.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
  });

  it('refuses a layer whose bytes differ from the config diff_ids, naming the image and the member', async () => {
    const raw = dockerSave(images, 'classic');
    const layer = layerTar('etcd');
    const at = raw.indexOf(layer);
    const bad = Buffer.from(raw);
    bad[at + 600] ^= 1;
    await expect(scan(bad, 'core.tar')).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(
        /^core\.tar docker\.io\/rancher\/hardened-etcd:v3\.5\.13-k3s1 layer 1 \([0-9a-f]{64}\/layer\.tar\) hashes to sha256:[0-9a-f]{64}, but the image config's diff_ids say sha256:/,
      ),
    });
  });

  it('refuses a member named for a digest it does not have, a missing member, and a non-archive', async () => {
    const oci = dockerSave(images, 'oci');
    const bad = Buffer.from(oci);
    bad[oci.indexOf(layerTar('pause', 100_000)) + 5000] ^= 1;
    await expect(scan(bad)).rejects.toThrow(/member blobs\/sha256\/[0-9a-f]{64} is named for sha256:[0-9a-f]{64} but its bytes hash to/);

    const manifest = JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['gone/layer.tar'] }]);
    const config = JSON.stringify({ rootfs: { diff_ids: ['sha256:' + '0'.repeat(64)] } });
    const missing = tarOf([
      { path: 'manifest.json', body: Buffer.from(manifest) },
      { path: 'c.json', body: Buffer.from(config) },
    ]);
    await expect(scan(missing)).rejects.toThrow('docker.io/library/x:1 layer 0: member gone/layer.tar is missing from the archive');
    await expect(scan(tarOf([{ path: 'hello', body: Buffer.from('hi') }]))).rejects.toThrow(
      'has no manifest.json: not a docker save archive',
    );
  });

  it.each(['cli', 'fzstd'])('zstd through %s: same table of contents, and a truncated stream fails cleanly', async (decoder) => {
    const saved = process.env.FERRY_ZSTD;
    process.env.FERRY_ZSTD = decoder;
    try {
      const raw = dockerSave(images, 'classic');
      const z = await zstd(raw);
      expect(await scan(z)).toEqual(await scan(raw).then((t) => ({ ...t, compression: 'zstd' })));
      await expect(scan(z.subarray(0, Math.floor(z.length / 2)))).rejects.toMatchObject({
        code: 'ARCHIVE_INVALID',
        message: expect.stringContaining('cannot be read'),
      });
      await expect(scan(z.subarray(0, z.length - 3))).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    } finally {
      if (saved === undefined) delete process.env.FERRY_ZSTD;
      else process.env.FERRY_ZSTD = saved;
    }
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundleReader } from '../../../src/bundle/reader.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import { digestHex } from '../../../src/core/digest.js';
import { isFerryError } from '../../../src/core/errors.js';
import { Annotation, type Descriptor, MediaType } from '../../../src/core/media-types.js';
import { gateBundle } from '../../../src/validate/gate.js';
import { MemoryBlobs, addImage, indexOf, tempDir } from '../bundle/fixtures.js';

const NOTES = Buffer.from('some notes\n'.repeat(10));

/** A bundle as pull writes it (image + file artifact, annotations and a matching lock), with hooks to spoil it. */
async function bundle(
  spoil: { lock?: (l: any) => void; index?: (d: Descriptor[]) => void; title?: string; name?: string } = {},
): Promise<string> {
  const store = new MemoryBlobs();
  const img = addImage(store, 'docker.io/library/hello', '1.0');
  img.annotations = { ...img.annotations, [Annotation.Kind]: 'image' };
  const config = store.add('{}', MediaType.OciEmpty);
  const layer = { ...store.add(NOTES, MediaType.OctetStream), annotations: { [Annotation.Title]: spoil.title ?? 'notes.txt' } };
  const manifest = store.addJson(
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: 'application/vnd.ferry.file.v1',
      config,
      layers: [layer],
      annotations: { [Annotation.Kind]: 'file' },
    },
    MediaType.OciManifest,
  );
  const file = {
    ...manifest,
    annotations: { [Annotation.RefName]: 'file/notes.txt', [Annotation.Kind]: 'file', [Annotation.Title]: 'notes.txt' },
  };
  const lock = {
    lockVersion: 1,
    bundle: { name: 'sample' },
    images: [
      {
        ref: 'docker.io/library/hello:1.0',
        platforms: 'all',
        digest: img.digest,
        mediaType: MediaType.OciManifest,
        size: img.size,
        upstreamDigest: img.digest,
        upstreamMediaType: MediaType.OciManifest,
      },
    ],
    files: [
      {
        name: 'notes.txt',
        url: 'https://example.org/notes.txt',
        sha256: digestHex(layer.digest),
        size: NOTES.length,
        vouchedBy: { kind: 'inline' },
      },
    ],
  };
  spoil.lock?.(lock);
  const manifests = [img, file];
  spoil.index?.(manifests);
  const outPath = join(tempDir('ferry-gate-'), 'b.tar');
  await writeBundle({
    outPath,
    name: spoil.name ?? 'sample',
    toolVersion: '0.1.0',
    lock: Buffer.from(JSON.stringify(lock)),
    index: indexOf(manifests),
    blobs: store.source(),
  });
  return outPath;
}

async function refusal(path: string): Promise<string> {
  const reader = await BundleReader.open(path);
  try {
    await gateBundle(reader);
  } catch (err) {
    if (isFerryError(err, 'UNSAFE_VALUE')) return err.message;
    throw err;
  } finally {
    await reader.close();
  }
  throw new Error('the gate let the bundle through');
}

describe('gateBundle', () => {
  it('lets a bundle as pull writes it through, and returns its lock', async () => {
    const reader = await BundleReader.open(await bundle());
    try {
      expect((await gateBundle(reader)).files.map((f) => f.name)).toEqual(['notes.txt']);
    } finally {
      await reader.close();
    }
  });

  it('refuses a layer title that is not the lock name, naming both', async () => {
    expect(await refusal(await bundle({ title: 'other.txt' }))).toContain(
      'file notes.txt: layer org.opencontainers.image.title "other.txt" is not what the lock says ("notes.txt")',
    );
  });

  it('refuses control characters in an annotation and escapes them in the message', async () => {
    const msg = await refusal(await bundle({ index: (m) => ((m[1] as Descriptor).annotations![Annotation.Source] = 'x\u001b[2J\ny') }));
    expect(msg).toContain('"x\\x1b[2J\\ny"');
    expect(msg).not.toMatch(/[\u001b\n]/);
  });

  it('refuses a media type that would split a response header, and an unknown kind', async () => {
    expect(
      await refusal(
        await bundle({ index: (m) => ((m[0] as Descriptor).mediaType = 'application/vnd.oci.image.manifest.v1+json\r\nX: y') }),
      ),
    ).toContain('mediaType');
    expect(await refusal(await bundle({ index: (m) => ((m[1] as Descriptor).annotations![Annotation.Kind] = 'surprise') }))).toContain(
      'dev.ferry.kind "surprise" is not one of',
    );
  });

  it('refuses an image whose index.json digest or name differs from the lock, and a bundle name that differs', async () => {
    expect(await refusal(await bundle({ lock: (l) => (l.images[0].digest = `sha256:${'0'.repeat(64)}`) }))).toContain(
      'is not what the lock says',
    );
    expect(
      await refusal(
        await bundle({ index: (m) => ((m[0] as Descriptor).annotations![Annotation.ContainerdName] = 'docker.io/library/other:1.0') }),
      ),
    ).toContain('io.containerd.image.name');
    expect(await refusal(await bundle({ name: 'other' }))).toContain(
      'ferry-bundle.json name "other" is not the lock\'s bundle name "sample"',
    );
  });

  it('refuses an unreadable lock with the integrity code, not a raw error', async () => {
    expect(await refusal(await bundle({ lock: (l) => (l.files[0].name = '../x') }))).toContain("the bundle's lock is unreadable");
  });
});

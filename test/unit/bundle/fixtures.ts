import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type Digest, sha256 } from '../../../src/core/digest.js';
import { Annotation, type Descriptor, type ImageIndex, MediaType } from '../../../src/core/media-types.js';
import type { BlobSource, WriteBundleOptions } from '../../../src/bundle/writer.js';
import { END_OF_ARCHIVE, encodeFileHeader, padding } from '../../../src/bundle/tar-format.js';

export const tempDir = (prefix = 'ferry-bundle-') => mkdtempSync(join(tmpdir(), prefix));

/** An in-memory content-addressed store, the shape writeBundle reads from. */
export class MemoryBlobs {
  readonly blobs = new Map<string, Buffer>();

  add(body: Buffer | string, mediaType: string = MediaType.OctetStream): Descriptor {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const digest = sha256(buf);
    this.blobs.set(digest, buf);
    return { mediaType, digest, size: buf.length };
  }

  addJson(value: unknown, mediaType: string): Descriptor {
    return this.add(Buffer.from(JSON.stringify(value)), mediaType);
  }

  source(overrides: Partial<BlobSource> = {}): BlobSource {
    return {
      list: [...this.blobs].map(([digest, b]) => ({ digest, size: b.length })),
      open: async (d: Digest) => Readable.from([this.blobs.get(d) as Buffer]),
      ...overrides,
    };
  }
}

/** A one-file uncompressed layer tar (built with ferry's own ustar encoder). */
export function layerTar(name: string, content: Buffer): Buffer {
  return Buffer.concat([encodeFileHeader(name, content.length), content, padding(content.length), END_OF_ARCHIVE]);
}

/** A minimal but real linux/amd64 OCI image: a config whose diff_id is the uncompressed layer's digest. */
export function addImage(store: MemoryBlobs, ref: string, tag: string, text = 'hello from ferry\n'): Descriptor {
  const layer = store.add(layerTar('hello.txt', Buffer.from(text)), MediaType.OciLayout);
  const config = store.addJson(
    {
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      history: [{ created_by: 'ferry test' }],
    },
    MediaType.OciConfig,
  );
  const manifest = store.addJson({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] }, MediaType.OciManifest);
  return { ...manifest, annotations: { [Annotation.RefName]: `${ref}:${tag}`, [Annotation.ContainerdName]: `${ref}:${tag}` } };
}

/** An ORAS-style file artifact (empty config, one titled layer). */
export function addFile(store: MemoryBlobs, name: string, body: Buffer): Descriptor {
  const config = store.add('{}', MediaType.OciEmpty);
  const layer = { ...store.add(body, MediaType.OctetStream), annotations: { [Annotation.Title]: name } };
  const manifest = store.addJson(
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: 'application/vnd.dev.ferry.file',
      config,
      layers: [layer],
      annotations: { [Annotation.Kind]: 'file' },
    },
    MediaType.OciManifest,
  );
  return { ...manifest, annotations: { [Annotation.RefName]: `files/${name}` } };
}

export function indexOf(manifests: Descriptor[]): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
}

export const LOCK = Buffer.from(JSON.stringify({ lockVersion: 1, bundle: { name: 'sample' }, images: [], files: [] }, null, 2));

/** A store with one image and one file, plus the writeBundle options for it. */
export function sampleBundle(outPath: string): { store: MemoryBlobs; opts: WriteBundleOptions } {
  const store = new MemoryBlobs();
  const img = addImage(store, 'docker.io/library/hello', '1.0');
  const file = addFile(store, 'notes.txt', Buffer.from('some notes\n'.repeat(100)));
  const opts: WriteBundleOptions = {
    outPath,
    name: 'sample',
    toolVersion: '0.1.0',
    lock: LOCK,
    index: indexOf([img, file]),
    blobs: store.source(),
  };
  return { store, opts };
}

export type RawEntry = [path: string, body: Buffer];

/** Builds a tar from raw entries (for bundles the writer would never produce). */
export function rawTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const [path, body] of entries) parts.push(encodeFileHeader(path, body.length), body, padding(body.length));
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** Reads every entry of a tar produced by the writer (test-side, whole file in memory). */
export function rawEntries(tar: Buffer): RawEntry[] {
  const out: RawEntry[] = [];
  let pos = 0;
  while (pos + 512 <= tar.length && tar.subarray(pos, pos + 512).some((b) => b !== 0)) {
    const name = tar
      .subarray(pos, pos + 100)
      .toString('latin1')
      .replace(/\0.*$/s, '');
    const size = parseInt(
      tar
        .subarray(pos + 124, pos + 136)
        .toString('latin1')
        .replace(/\0.*$/s, '')
        .trim(),
      8,
    );
    out.push([name, Buffer.from(tar.subarray(pos + 512, pos + 512 + size))]);
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

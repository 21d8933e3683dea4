import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeBundle } from '../../src/bundle/writer.js';
import { type Digest, sha256 } from '../../src/core/digest.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../../src/core/media-types.js';

/** A bundle taken apart: what an attacker holding it can change at will (everything but a signature). */
export interface OpenBundle {
  name: string;
  lock: Record<string, any>;
  index: ImageIndex;
  blobs: Map<Digest, Buffer>;
}

/** Adds (or replaces) a blob and returns its descriptor fields. */
export function putBlob(b: OpenBundle, body: Buffer): { digest: Digest; size: number } {
  const digest = sha256(body);
  b.blobs.set(digest, body);
  return { digest, size: body.length };
}

/** Rewrites a manifest held in the bundle and swaps its descriptor in index.json; returns the new manifest. */
export function rewriteManifest(b: OpenBundle, entry: Descriptor, edit: (m: ImageManifest) => void): ImageManifest {
  const m = JSON.parse((b.blobs.get(entry.digest) as Buffer).toString('utf8')) as ImageManifest;
  edit(m);
  const { digest, size } = putBlob(b, Buffer.from(JSON.stringify(m)));
  b.index.manifests = b.index.manifests.map((d) => (d === entry ? { ...d, digest, size } : d));
  return m;
}

/**
 * Takes a bundle apart (GNU tar), lets `edit` change anything, and writes it again with ferry's own writer, which
 * recomputes SHA256SUMS — exactly what an attacker would do. Unreferenced blobs are dropped.
 */
export async function craftBundle(from: string, to: string, edit: (b: OpenBundle) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-craft-'));
  execFileSync('tar', ['-xf', from, '-C', dir]);
  const blobs = new Map<Digest, Buffer>();
  for (const hex of readdirSync(join(dir, 'blobs', 'sha256'))) blobs.set(`sha256:${hex}` as Digest, readFileSync(join(dir, 'blobs', 'sha256', hex)));
  const b: OpenBundle = {
    name: JSON.parse(readFileSync(join(dir, 'ferry-bundle.json'), 'utf8')).name,
    lock: JSON.parse(readFileSync(join(dir, 'ferry.lock.json'), 'utf8')),
    index: JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')),
    blobs,
  };
  await edit(b);
  const referenced = new Set<string>();
  const walk = (d: Descriptor) => {
    referenced.add(d.digest);
    const body = b.blobs.get(d.digest);
    if (!body || !/manifest|index/.test(d.mediaType)) return;
    const m = JSON.parse(body.toString('utf8')) as ImageManifest & ImageIndex;
    for (const c of [...(m.manifests ?? []), ...(m.config ? [m.config] : []), ...(m.layers ?? [])]) walk(c);
  };
  b.index.manifests.forEach(walk);
  const list = [...b.blobs].filter(([d]) => referenced.has(d));
  await writeBundle({
    outPath: to,
    name: b.name,
    toolVersion: 'crafted',
    lock: Buffer.from(JSON.stringify(b.lock, null, 2)),
    index: b.index,
    blobs: { list: list.map(([digest, body]) => ({ digest, size: body.length })), open: async (d: Digest) => Readable.from([b.blobs.get(d) as Buffer]) },
  });
}

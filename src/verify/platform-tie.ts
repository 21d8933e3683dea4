import type { Digest } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { Annotation, type Descriptor, type ImageIndex, isIndexType } from '../core/media-types.js';
import { MAX_METADATA_BYTES } from '../bundle/format.js';
import { readVerified } from '../graph/copy.js';
import type { ReadOnlyStorage } from '../graph/storage.js';

/**
 * A platform-filtered image (its index.json entry's digest is not its `dev.ferry.upstream-digest`) is signed as the
 * upstream index, which the bundle does not push. The referrer kind stores those upstream bytes as an
 * `upstream-index` entry (docs/supply-chain.md "Enforcement"); the signature then vouches for what the bundle holds
 * only when every platform manifest kept is listed in it: the kept index's children, or the one child kept in place
 * of the index. Returns what tied them, or why they are not tied.
 */
export async function checkPlatformTie(
  blobs: Pick<ReadOnlyStorage, 'fetch'>,
  entry: Descriptor,
  upstream: Digest,
  carried: Descriptor[],
): Promise<{ ok: string } | string> {
  const kept = entry.annotations?.[Annotation.RefName] ?? entry.digest;
  const up = carried.find((d) => d.annotations?.[Annotation.ReferrerRole] === 'upstream-index');
  if (!up)
    return `the bundle keeps the platform-filtered ${entry.digest} and carries no upstream index ${upstream} to tie it to the signed one`;
  if (up.digest !== upstream) return `the bundle's upstream-index entry is ${up.digest}, not the signed ${upstream}`;
  const signed = await readJson(blobs, up, `${kept}: upstream index`);
  const listed = new Set(manifestsOf(signed).map((m) => m.digest));
  const children = isIndexType(entry.mediaType) ? manifestsOf(await readJson(blobs, entry, `${kept}: kept index`)) : [entry];
  const missing = children.filter((c) => !listed.has(c.digest));
  if (missing.length > 0)
    return `the kept platform manifest ${missing.map((m) => m.digest).join(', ')} is not listed in the signed upstream index ${upstream}`;
  return { ok: `${children.length} kept platform manifests listed in the signed upstream index ${upstream}` };
}

function manifestsOf(v: unknown): Descriptor[] {
  const m = (v as Partial<ImageIndex> | undefined)?.manifests;
  return Array.isArray(m) ? m.filter((d): d is Descriptor => typeof (d as Descriptor | null)?.digest === 'string') : [];
}

/** A small JSON blob read through its digest (verified), for messages named `what`. */
export async function readJson(blobs: Pick<ReadOnlyStorage, 'fetch'>, d: Descriptor, what: string): Promise<unknown> {
  if (!Number.isSafeInteger(d.size) || d.size < 0 || d.size > MAX_METADATA_BYTES)
    throw new FerryError('BUNDLE_INVALID', `${what} ${d.digest}: ${d.size} bytes is not a manifest size`, { digest: d.digest });
  const bytes = await readVerified(blobs, d, `${what} ${d.digest}`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new FerryError('BUNDLE_INVALID', `${what} ${d.digest} is not JSON: ${(err as Error).message}`, { digest: d.digest });
  }
}

import { BundleReader } from '../bundle/reader.js';
import { blobHexFromPath } from '../bundle/format.js';
import { Annotation, type Descriptor } from '../core/media-types.js';

export interface ArtifactChange {
  kind: string;
  name: string;
  old?: string;
  new?: string;
}

export interface BundleDiff {
  added: ArtifactChange[];
  removed: ArtifactChange[];
  changed: ArtifactChange[];
  unchanged: number;
  /** Blobs NEW holds that OLD does not: what an update has to carry if the enclave holds OLD. */
  newBlobs: number;
  bytesToCarry: number;
  /** NEW's blob bytes in all. */
  newBytes: number;
}

const keyOf = (d: Descriptor): { kind: string; name: string } => {
  const kind = d.annotations?.[Annotation.Kind] ?? 'artifact';
  const name = d.annotations?.[Annotation.RefName] ?? d.annotations?.[Annotation.Title] ?? d.digest;
  return { kind, name };
};

/** `ferry bundle diff OLD NEW`: artifacts added, removed and changed, and the bytes NEW adds over OLD. */
export async function diffBundles(oldPath: string, newPath: string): Promise<BundleDiff> {
  const [a, b] = await Promise.all([BundleReader.open(oldPath), BundleReader.open(newPath)]);
  try {
    const index = (r: BundleReader) => new Map(r.index().manifests.map((d) => [`${keyOf(d).kind} ${keyOf(d).name}`, d]));
    const before = index(a);
    const after = index(b);
    const diff: BundleDiff = { added: [], removed: [], changed: [], unchanged: 0, newBlobs: 0, bytesToCarry: 0, newBytes: 0 };
    for (const [key, d] of after) {
      const was = before.get(key);
      const { kind, name } = keyOf(d);
      if (!was) diff.added.push({ kind, name, new: d.digest });
      else if (was.digest !== d.digest) diff.changed.push({ kind, name, old: was.digest, new: d.digest });
      else diff.unchanged++;
    }
    for (const [key, d] of before) if (!after.has(key)) diff.removed.push({ ...keyOf(d), old: d.digest });
    const oldBlobs = new Set(a.entries.map((e) => blobHexFromPath(e.path)).filter((h) => h !== undefined));
    for (const e of b.entries) {
      const hex = blobHexFromPath(e.path);
      if (!hex || e.kind !== 'file') continue;
      diff.newBytes += e.size;
      if (!oldBlobs.has(hex)) {
        diff.newBlobs++;
        diff.bytesToCarry += e.size;
      }
    }
    for (const list of [diff.added, diff.removed, diff.changed])
      list.sort((x, y) => (`${x.kind} ${x.name}` < `${y.kind} ${y.name}` ? -1 : 1));
    return diff;
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

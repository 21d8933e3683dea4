import { LOCK_FILE, blobPath } from '../bundle/format.js';
import { parseMemberJson } from '../bundle/member-json.js';
import { Annotation, type Descriptor, type ImageManifest } from '../core/media-types.js';
import type { Problem } from '../core/problem.js';
import type { Read } from '../kinds/facets/pins.js';
import type { AnyKind } from '../kinds/kind.js';

/**
 * One kind's pins against index.json: each pin names exactly one entry of the kind (by its ref name or title), whose
 * digest is the pinned one (an image's root) or whose artifact's layer 0 is (every other kind's content); and every
 * entry of the kind is pinned. An entry named twice is matched once; the other is not in the lock.
 */
export async function checkPins(kind: AnyKind, locked: readonly unknown[], entries: readonly Descriptor[], read: Read): Promise<Problem[]> {
  const problems: Problem[] = [];
  const code = kind.pinCode ?? 'LOCK_MISMATCH';
  const candidates = entries.filter((d) => d.annotations?.[Annotation.Kind] === kind.pinEntryKind);
  const claimed = new Set<Descriptor>();
  for (const pin of locked.flatMap((l) => kind.pins(l))) {
    const mismatch = (message: string, digests?: { actual?: string }) =>
      problems.push({
        path: LOCK_FILE,
        code,
        message,
        ...(digests ? { expected: pin.digest } : {}),
        ...(digests?.actual ? { actual: digests.actual } : {}),
      });
    const d = candidates.find((c) => !claimed.has(c) && c.annotations?.[kind.pinAnnotation] === pin.entryName);
    if (!d) {
      mismatch(`${pin.label} is in the lock but not in index.json`);
      continue;
    }
    claimed.add(d);
    if (pin.isRoot) {
      if (d.digest !== pin.digest) mismatch(`${pin.label}: index.json has ${d.digest}, the lock pins ${pin.digest}`, { actual: d.digest });
      continue;
    }
    const body = await read(d.digest.slice(7));
    if (!body) continue; // a damaged or missing manifest is reported by the content checks
    const layer = parseMemberJson<ImageManifest>(body, blobPath(d.digest.slice(7))).layers?.[0];
    if (layer?.digest !== pin.digest)
      mismatch(`${pin.label}: the bundle carries ${layer?.digest}, the lock pins ${pin.digest}`, { actual: layer?.digest });
  }
  for (const d of candidates) {
    if (!claimed.has(d))
      problems.push({
        path: LOCK_FILE,
        code,
        message: `${kind.pinNoun} ${d.annotations?.[kind.pinAnnotation] ?? d.digest} is in index.json but not in the lock`,
      });
  }
  return problems;
}

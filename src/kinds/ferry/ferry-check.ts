import { LOCK_FILE, blobPath } from '../../bundle/format.js';
import { parseMemberJson } from '../../bundle/member-json.js';
import type { Descriptor, ImageManifest } from '../../core/media-types.js';
import { Annotation } from '../../core/media-types.js';
import type { LockedFerry } from './schema.js';
import type { Problem } from '../../core/problem.js';
import type { Intact, Read } from '../facets/pins.js';

/**
 * What the lock pins of the ferry executable beyond its content (layer 0, checked by verify/pin-check.ts): the
 * bytes of the executable and its SBOM are intact in the bundle, and the artifact's second layer is the pinned SBOM
 * (or, without one in the lock, there is no further layer). The bytes themselves are checked against SHA256SUMS
 * with every blob.
 */
export async function checkFerryChain(
  locked: LockedFerry | undefined,
  entries: Descriptor[],
  read: Read,
  intact: Intact,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  if (!locked) return problems;
  const mismatch = (message: string, expected?: string, actual?: string) =>
    problems.push({ path: LOCK_FILE, code: 'LOCK_MISMATCH', message, ...(expected ? { expected } : {}), ...(actual ? { actual } : {}) });
  // The blob mismatch itself is reported by path; this line says whose bytes they are, so the enclave knows not to take it.
  for (const [what, hex] of [[locked.name, locked.sha256], ...(locked.sbom ? [[locked.sbom.name, locked.sbom.sha256]] : [])] as [
    string,
    string,
  ][]) {
    if (!intact(hex))
      problems.push({
        path: blobPath(hex),
        code: 'DIGEST_MISMATCH',
        expected: `sha256:${hex}`,
        message: `ferry ${what}: its bytes in the bundle are missing or do not hash to the sha256 the lock pins (sha256:${hex}); do not install it`,
      });
  }
  const wanted = entries.find((d) => d.annotations?.[Annotation.Title] === locked.name);
  if (!wanted) return problems; // reported by the pin check
  const body = await read(wanted.digest.slice(7));
  if (!body) return problems; // a damaged or missing manifest is reported by the content checks
  const layers = parseMemberJson<ImageManifest>(body, blobPath(wanted.digest.slice(7))).layers ?? [];
  const sbom = layers[1]?.digest;
  if (locked.sbom && sbom !== `sha256:${locked.sbom.sha256}`)
    mismatch(
      `ferry ${locked.sbom.name}: the bundle carries ${sbom}, the lock pins sha256:${locked.sbom.sha256}`,
      `sha256:${locked.sbom.sha256}`,
      sbom,
    );
  if (!locked.sbom && layers.length > 1) mismatch(`ferry ${locked.name}: the bundle carries layers the lock does not pin`);
  return problems;
}

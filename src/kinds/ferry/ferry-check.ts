import { LOCK_FILE, blobPath } from '../../bundle/format.js';
import { parseMemberJson } from '../../bundle/member-json.js';
import type { Descriptor, ImageManifest } from '../../core/media-types.js';
import { Annotation } from '../../core/media-types.js';
import type { LockedFerry } from '../../lock/types.js';
import type { Problem } from '../../core/problem.js';

/**
 * The ferry executable the lock pins is the one index.json names: one `ferry` entry titled with its release name,
 * whose first layer is the pinned sha256 and whose second (when the lock has an SBOM) is the pinned SBOM. The bytes
 * themselves are checked against SHA256SUMS with every blob.
 */
export async function checkFerryEntry(locked: LockedFerry | undefined, entries: Descriptor[], read: (hex: string) => Promise<Buffer | undefined>, intact: (hex: string) => boolean): Promise<Problem[]> {
  const problems: Problem[] = [];
  const mismatch = (message: string, expected?: string, actual?: string) =>
    problems.push({ path: LOCK_FILE, code: 'LOCK_MISMATCH', message, ...(expected ? { expected } : {}), ...(actual ? { actual } : {}) });
  const wanted = entries.find((d) => locked && d.annotations?.[Annotation.Title] === locked.name);
  for (const d of entries) if (d !== wanted) mismatch(`ferry ${d.annotations?.[Annotation.Title] ?? d.digest} is in index.json but not in the lock`);
  if (!locked) return problems;
  // The blob mismatch itself is reported by path; this line says whose bytes they are, so the enclave knows not to take it.
  for (const [what, hex] of [[locked.name, locked.sha256], ...(locked.sbom ? [[locked.sbom.name, locked.sbom.sha256]] : [])] as [string, string][]) {
    if (!intact(hex)) problems.push({ path: blobPath(hex), code: 'DIGEST_MISMATCH', expected: `sha256:${hex}`, message: `ferry ${what}: its bytes in the bundle are missing or do not hash to the sha256 the lock pins (sha256:${hex}); do not install it` });
  }
  if (!wanted) {
    mismatch(`ferry ${locked.name} is in the lock but not in index.json`);
    return problems;
  }
  const body = await read(wanted.digest.slice(7));
  if (!body) return problems; // a damaged or missing manifest is reported by the content checks
  const layers = parseMemberJson<ImageManifest>(body, blobPath(wanted.digest.slice(7))).layers ?? [];
  const exe = layers[0]?.digest;
  if (exe !== `sha256:${locked.sha256}`) mismatch(`ferry ${locked.name}: the bundle carries ${exe}, the lock pins sha256:${locked.sha256}`, `sha256:${locked.sha256}`, exe);
  const sbom = layers[1]?.digest;
  if (locked.sbom && sbom !== `sha256:${locked.sbom.sha256}`) mismatch(`ferry ${locked.sbom.name}: the bundle carries ${sbom}, the lock pins sha256:${locked.sbom.sha256}`, `sha256:${locked.sbom.sha256}`, sbom);
  if (!locked.sbom && layers.length > 1) mismatch(`ferry ${locked.name}: the bundle carries layers the lock does not pin`);
  return problems;
}

import { LOCK_FILE, blobPath, chartRefName } from '../bundle/format.js';
import { parseMemberJson } from '../bundle/member-json.js';
import { Annotation, type ImageIndex, type ImageManifest } from '../core/media-types.js';
import { parseLock } from '../lock/lock-file.js';
import type { Problem } from './problem.js';
import { checkRke2 } from '../kinds/rke2/rke2-check.js';
import { checkFerryEntry } from '../kinds/ferry/ferry-check.js';

/**
 * The lock is the bundle's statement of what it carries; index.json is what it actually names. They must agree
 * exactly: each pinned image under its reference with the pinned digest, each pinned file as an artifact whose
 * content digest is the pinned sha256, and nothing else.
 */
export async function checkLockAgainstIndex(
  lockBody: Buffer,
  index: ImageIndex | undefined,
  read: (hex: string) => Promise<Buffer | undefined>,
  /** Whether the bundle holds the blob with bytes that hash to it (to name the artifact a damaged blob belongs to). */
  intact: (hex: string) => boolean = () => true,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const mismatch = (message: string, expected?: string, actual?: string) =>
    problems.push({ path: LOCK_FILE, code: 'LOCK_MISMATCH', message, ...(expected ? { expected } : {}), ...(actual ? { actual } : {}) });
  let lock;
  try {
    lock = parseLock(lockBody.toString('utf8'), LOCK_FILE);
  } catch (err) {
    return [{ path: LOCK_FILE, code: 'MALFORMED', message: (err as Error).message }];
  }
  if (!index) return problems; // an unreadable index.json is reported on its own
  const images = new Map(index.manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'image').map((d) => [d.annotations?.[Annotation.RefName] ?? '', d]));
  const files = new Map(index.manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'file').map((d) => [d.annotations?.[Annotation.Title] ?? '', d]));
  for (const img of lock.images) {
    const d = images.get(img.ref);
    if (!d) mismatch(`image ${img.ref} is in the lock but not in index.json`);
    else if (d.digest !== img.digest) mismatch(`image ${img.ref}: index.json has ${d.digest}, the lock pins ${img.digest}`, img.digest, d.digest);
    images.delete(img.ref);
  }
  for (const ref of images.keys()) mismatch(`image ${ref} is in index.json but not in the lock`);
  for (const f of lock.files) {
    const d = files.get(f.name);
    files.delete(f.name);
    if (!d) {
      mismatch(`file ${f.name} is in the lock but not in index.json`);
      continue;
    }
    const body = await read(d.digest.slice(7));
    if (!body) continue; // a damaged or missing manifest is reported by the content checks
    const layer = parseMemberJson<ImageManifest>(body, blobPath(d.digest.slice(7))).layers?.[0];
    if (layer?.digest !== `sha256:${f.sha256}`) mismatch(`file ${f.name}: the bundle carries ${layer?.digest}, the lock pins sha256:${f.sha256}`, `sha256:${f.sha256}`, layer?.digest);
  }
  for (const name of files.keys()) mismatch(`file ${name} is in index.json but not in the lock`);
  const charts = new Map(index.manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'chart').map((d) => [d.annotations?.[Annotation.RefName] ?? '', d]));
  for (const c of lock.charts ?? []) {
    const name = chartRefName(c.name, c.version);
    const d = charts.get(name);
    charts.delete(name);
    if (!d) {
      mismatch(`chart ${c.name} ${c.version} is in the lock but not in index.json`);
      continue;
    }
    const body = await read(d.digest.slice(7));
    if (!body) continue;
    const layer = parseMemberJson<ImageManifest>(body, blobPath(d.digest.slice(7))).layers?.[0];
    if (layer?.digest !== `sha256:${c.sha256}`) mismatch(`chart ${c.name} ${c.version}: the bundle carries ${layer?.digest}, the lock pins sha256:${c.sha256}`, `sha256:${c.sha256}`, layer?.digest);
  }
  for (const name of charts.keys()) mismatch(`chart ${name} is in index.json but not in the lock`);
  problems.push(...(await checkFerryEntry(lock.ferry, index.manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'ferry'), read, intact)));
  const rke2 = index.manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'rke2');
  problems.push(...(await checkRke2(lock.rke2, rke2, read)));
  if (lock.apt || index.manifests.some((d) => d.annotations?.[Annotation.Kind] === 'apt')) {
    // Loaded only when there is apt content: it brings openpgp.
    const { checkAptChain } = await import('../kinds/apt/apt-chain.js');
    problems.push(...(await checkAptChain(lock.apt ?? [], index.manifests, read)));
  }
  return problems;
}

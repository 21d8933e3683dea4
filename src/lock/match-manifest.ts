import { FerryError } from '../core/errors.js';
import { sameUrl } from '../core/url-form.js';
import type { BundleManifest, FileEntry, PlatformSpec } from '../manifest/types.js';
import { byKey } from './canonical-json.js';
import { aptDifferences } from '../kinds/apt/match-apt.js';
import { chartDifferences } from '../kinds/chart/match-charts.js';
import { rke2Differences } from '../kinds/rke2/match-rke2.js';
import type { Lock, LockedFile } from './types.js';

/** Platform requests compare as sets: the fetcher keeps upstream order whatever order they are written in. */
const platformsText = (p: PlatformSpec): string => (p === 'all' ? 'all' : [...p].sort().join(','));
const manifestPin = (f: FileEntry): string => (f.sha256 !== undefined ? `sha256 ${f.sha256}` : `checksums ${f.checksums ?? '?'}`);
const lockPin = (f: LockedFile): string =>
  f.vouchedBy.kind === 'checksums' ? `checksums ${f.vouchedBy.url}` : `sha256 ${f.sha256}`;
/** The same pin: the same sha256, or the same checksum list (its URL compared as a URL, as written in either). */
const samePin = (m: FileEntry, l: LockedFile): boolean =>
  m.sha256 !== undefined ? l.vouchedBy.kind !== 'checksums' && l.sha256 === m.sha256 : l.vouchedBy.kind === 'checksums' && sameUrl(l.vouchedBy.url, m.checksums ?? '');

/**
 * `--lock` fetches exactly what the lock says, so the lock must still describe the manifest: the same bundle name,
 * the same images with the same platform requests, the same files from the same URLs with the same pins (a file
 * pinned by `checksums:` matches the lock entry vouched for by that list). URLs compare as URLs (core/url-form.ts),
 * so a lock written before a URL's spelling changed (`https://get.rke2.io` → `HTTPS://get.rke2.io/`) still
 * matches; the lock keeps the URLs as they were written. Throws FerryError('LOCK_MISMATCH')
 * listing every difference: manifest entries in manifest order, then what only the lock has, sorted.
 */
export function checkLockMatchesManifest(lock: Lock, manifest: BundleManifest): void {
  const diffs: string[] = [];
  if (lock.bundle.name !== manifest.name) diffs.push(`bundle name: the manifest says ${manifest.name}, the lock says ${lock.bundle.name}`);

  const lockedImages = new Map(lock.images.map((i) => [i.ref, i]));
  for (const img of manifest.images) {
    const locked = lockedImages.get(img.ref);
    if (!locked) diffs.push(`image ${img.ref} [${platformsText(img.platforms)}]: in the manifest, not in the lock`);
    else if (platformsText(locked.platforms) !== platformsText(img.platforms)) {
      diffs.push(`image ${img.ref}: platforms changed: the manifest asks for [${platformsText(img.platforms)}], the lock has [${platformsText(locked.platforms)}]`);
    }
  }
  // Images a chart brought in are wanted too: the lock's chart entries say which (and why).
  const wantedRefs = new Set([...manifest.images.map((i) => i.ref), ...(lock.charts ?? []).flatMap((c) => c.images.map((i) => i.ref))]);
  for (const locked of [...lock.images].sort(byKey((i) => i.ref))) {
    if (!wantedRefs.has(locked.ref)) diffs.push(`image ${locked.ref} [${platformsText(locked.platforms)}]: in the lock, not in the manifest`);
  }

  const lockedFiles = new Map(lock.files.map((f) => [f.name, f]));
  for (const f of manifest.files) {
    const locked = lockedFiles.get(f.name);
    if (!locked) {
      diffs.push(`file ${f.name} from ${f.url} (${manifestPin(f)}): in the manifest, not in the lock`);
      continue;
    }
    if (!sameUrl(locked.url, f.url)) diffs.push(`file ${f.name}: URL changed: the manifest says ${f.url}, the lock says ${locked.url}`);
    if (!samePin(f, locked)) diffs.push(`file ${f.name}: pin changed: the manifest says ${manifestPin(f)}, the lock says ${lockPin(locked)}`);
  }
  const wantedNames = new Set(manifest.files.map((f) => f.name));
  for (const locked of [...lock.files].sort(byKey((f) => f.name))) {
    if (!wantedNames.has(locked.name)) diffs.push(`file ${locked.name} from ${locked.url} (${lockPin(locked)}): in the lock, not in the manifest`);
  }

  diffs.push(...rke2Differences(lock.rke2, manifest.rke2));
  diffs.push(...chartDifferences(lock.charts ?? [], manifest.charts));
  diffs.push(...aptDifferences(lock.apt ?? [], manifest.apt));

  if (diffs.length > 0) {
    throw new FerryError('LOCK_MISMATCH', `the lock no longer matches the manifest ${manifest.path}:\n  ${diffs.join('\n  ')}`, {
      path: manifest.path,
      differences: diffs,
    });
  }
}

import { sameUrl } from '../../core/url-form.js';
import type { LockedRke2, Rke2Entry } from './schema.js';

const sets = (s: string[] | undefined): string => (s === undefined ? 'the all-in-one tarball' : `[${[...s].sort().join(', ')}]`);

/** Differences between spec.rke2 and the lock's rke2 section, one line each (for LOCK_MISMATCH). */
export function rke2Differences(locked: LockedRke2 | undefined, wanted: Rke2Entry | undefined): string[] {
  if (!locked && !wanted) return [];
  if (!locked) return [`rke2 ${wanted?.version}: in the manifest, not in the lock`];
  if (!wanted) return [`rke2 ${locked.version}: in the lock, not in the manifest`];
  const out: string[] = [];
  const field = (name: string, m: string | boolean, l: string | boolean) => {
    if (m !== l) out.push(`rke2.${name} changed: the manifest says ${String(m)}, the lock says ${String(l)}`);
  };
  field('version', wanted.version, locked.version);
  field('arch', wanted.arch, locked.arch);
  field('imageSets', sets(wanted.imageSets), sets(locked.imageSets));
  field('installScript', wanted.installScript, locked.installScript);
  field('pushImages', wanted.pushImages, locked.pushImages);
  // URLs compare as URLs: only a change of what they name is a mismatch, not of how they are written.
  const url = (name: string, m: string, l: string) => !sameUrl(m, l) && field(name, m, l);
  url('releaseUrl', wanted.releaseUrl, locked.releaseUrl);
  if (wanted.installScript) url('installScriptUrl', wanted.installScriptUrl, locked.installScriptUrl);
  return out;
}

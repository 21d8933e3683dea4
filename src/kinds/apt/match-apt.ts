import { sameUrl } from '../../core/url-form.js';
import type { AptEntry, LockedAptSource } from './schema.js';

const list = (xs: string[]) => `[${xs.join(', ')}]`;

/** Differences between spec.apt and the lock's apt sources (matched by position and URL), one line each. */
export function aptDifferences(locked: LockedAptSource[], wanted: AptEntry[]): string[] {
  const out: string[] = [];
  const n = Math.max(locked.length, wanted.length);
  for (let i = 0; i < n; i++) {
    const l = locked[i];
    const w = wanted[i];
    if (!l) {
      out.push(`apt source ${w?.url}: in the manifest, not in the lock`);
      continue;
    }
    if (!w) {
      out.push(`apt source ${l.url}: in the lock, not in the manifest`);
      continue;
    }
    const at = `apt source ${w.url}`;
    const same = (name: string, a: string, b: string) =>
      a !== b && out.push(`${at}: ${name} changed: the manifest says ${a}, the lock says ${b}`);
    if (!sameUrl(w.url, l.url)) same('url', w.url, l.url); // compared as URLs
    same('suites', list(w.suites), list(l.suites));
    same('components', list(w.components), list(l.components));
    same('architectures', list(w.architectures), list(l.architectures));
    same('packages', list(w.packages), list(l.packages));
    same('dependencies', String(w.dependencies), String(l.dependencies));
    same('recommends', String(w.recommends), String(l.recommends));
    same('keyring', w.keyring, l.keyring.path);
    same('installed', w.installed ?? '(none)', l.installed?.path ?? '(none)');
  }
  return out;
}

import { sameUrl } from '../../core/url-form.js';
import type { AptEntry, LockedAptSource } from './schema.js';

const list = (xs: string[]) => `[${xs.join(', ')}]`;

/**
 * Differences between spec.apt and the lock's apt sources, one line each: the universe-wide settings once
 * (`dependencies`, `recommends`, `installed`: the same on every entry, normalise-apt.ts), then each source matched by
 * position and URL.
 */
export function aptDifferences(locked: LockedAptSource[], wanted: AptEntry[]): string[] {
  const out: string[] = [];
  const w0 = wanted[0];
  if (w0 && locked.length > 0) {
    const universe: [string, string, string[]][] = [
      ['dependencies', String(w0.dependencies), locked.map((l) => String(l.dependencies))],
      ['recommends', String(w0.recommends), locked.map((l) => String(l.recommends))],
      ['installed', w0.installed ?? '(none)', locked.map((l) => l.installed?.path ?? '(none)')],
    ];
    for (const [name, want, got] of universe) {
      const other = got.find((v) => v !== want);
      if (other !== undefined) out.push(`apt sources: ${name} changed: the manifest says ${want}, the lock says ${other}`);
    }
  }
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
    same('keyring', w.keyring, l.keyring.path);
  }
  return out;
}

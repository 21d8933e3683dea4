import { comparableUrl } from '../../core/url-form.js';
import { byKey } from '../../lock/canonical-json.js';
import type { ChartEntry, LockedChart } from './schema.js';

/** Charts are matched by repository (compared as a URL) and name. */
const key = (repo: string, name: string) => `${comparableUrl(repo)} ${name}`;
const list = (xs: string[]) => `[${[...xs].sort().join(', ')}]`;

/** Differences between spec.charts and the lock's charts, one line each (for LOCK_MISMATCH). */
export function chartDifferences(locked: LockedChart[], wanted: ChartEntry[]): string[] {
  const out: string[] = [];
  const byKeyLocked = new Map(locked.map((c) => [key(c.repo, c.name), c]));
  for (const c of wanted) {
    const l = byKeyLocked.get(key(c.repo, c.name));
    byKeyLocked.delete(key(c.repo, c.name));
    const what = `chart ${c.name} from ${c.repo}`;
    if (!l) {
      out.push(`${what} ${c.version}: in the manifest, not in the lock`);
      continue;
    }
    if (l.requested !== c.version) out.push(`${what}: version changed: the manifest says ${c.version}, the lock says ${l.requested}`);
    if (l.imagesEnabled !== c.images) out.push(`${what}: images changed: the manifest says ${c.images}, the lock says ${l.imagesEnabled}`);
    if (list(l.extraImages) !== list(c.extraImages)) out.push(`${what}: extraImages changed`);
    if (list(l.excludeImages) !== list(c.excludeImages)) out.push(`${what}: excludeImages changed`);
    if (list(l.values.map((v) => v.path)) !== list(c.values.map((v) => v.path))) out.push(`${what}: values files changed`);
    const keyring = l.provenance?.signature === 'verified' ? l.provenance.keyring : undefined;
    if (keyring !== c.keyring?.path)
      out.push(`${what}: keyring changed: the manifest says ${c.keyring?.path ?? 'none'}, the lock says ${keyring ?? 'none'}`);
    // How the images were found is the manifest's to say only through render: false (a lock from before says nothing).
    const off = l.discovery?.method === 'static' && l.discovery.why === 'render: false';
    if (off && c.render) out.push(`${what}: render changed: the lock's images were found with render: false, the manifest renders`);
    if (l.discovery?.method === 'rendered' && !c.render)
      out.push(`${what}: render changed: the manifest says render: false, the lock's images were rendered`);
  }
  for (const l of [...byKeyLocked.values()].sort(byKey((c) => key(c.repo, c.name))))
    out.push(`chart ${l.name} from ${l.repo} ${l.requested}: in the lock, not in the manifest`);
  return out;
}

import { readFile } from 'node:fs/promises';
import { sha256 } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { parseDeb822, field } from './deb822.js';
import { type Package, packageFromStanza } from './package-index.js';
import { keyringFingerprints, readKeyring } from './release-signature.js';
import { type Relation, parseRelations } from './relations.js';
import { resolveClosure } from './resolve-closure.js';
import { indexReaders, listings, requestedOnly, universeFiles } from './apt-universe.js';
import type { LockedAptSource, LockedDeb, AptEntry } from './schema.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import { type FetchedFiles, fetchSuite } from './apt-index.js';

export interface ResolvedApt {
  locked: LockedAptSource;
  /** Keyring, Release files and Packages indexes as read, by bundle path (`keyring.gpg`, `dists/<suite>/…`). */
  files: FetchedFiles;
}

/**
 * resolve(): the apt sources of a manifest as one package universe, as apt reads several sources.list lines: every
 * entry's suites, each signed Release checked with that entry's keyring, and their Packages indexes (an index
 * configured twice read once); then, per architecture, over the entries that list it, the dependency closure of
 * every entry's requested packages as apt-get install computes it on the node described by `installed` (an empty
 * dpkg status when absent). Each .deb is pinned to the SHA256 and size of its Packages stanza and locked under the
 * entry whose index listed it; `recommends`, `dependencies`, `installed` and the conflicts found are the universe's,
 * the same on every entry (normalise-apt.ts). One locked source per entry, in order.
 */
export async function resolveAptSources(entries: readonly AptEntry[], http: HttpGetter, events: EventSink): Promise<ResolvedApt[]> {
  const first = entries[0];
  if (!first) return [];
  const installedBytes = first.installed ? await readLocal(first.installed, 'dpkg status') : undefined;
  const installed = installedBytes ? installedPackages(installedBytes.toString('utf8')) : [];
  const reads = indexReaders(entries);
  const read = await settled(
    entries.map(async (entry, e) => {
      const keyringBytes = await readLocal(entry.keyring, 'keyring');
      const keys = await readKeyring(keyringBytes, entry.keyring);
      const suites = await settled(entry.suites.map((suite, s) => fetchSuite({ ...entry, reads: reads(e, s) }, suite, keys, http)));
      return { keyringBytes, fingerprints: await keyringFingerprints(keys), suites };
    }),
  );
  const fetched = read.map((r) => r.suites);
  // The manifest was checked to hold one relation per package entry.
  const requests = [...new Set(entries.flatMap((e) => e.packages))].map((p) => parseRelations(p).flat()[0] as Relation);
  const debs = entries.map(() => new Map<string, LockedDeb>());
  const taken = new Map<string, LockedDeb>();
  const conflicts: string[] = [];
  const closures = [...new Set(entries.flatMap((e) => e.architectures))].map((arch) => {
    const files = universeFiles(entries, fetched, arch);
    return first.dependencies
      ? resolveClosure({ files, architecture: arch, installed, requests, recommends: first.recommends })
      : { install: requests.map((r) => requestedOnly(files, arch, r)), conflicts: [] };
  });
  const where = listings(fetched, new Set(closures.flatMap((c) => c.install)));
  for (const chosen of closures) {
    conflicts.push(...chosen.conflicts);
    for (const p of chosen.install) {
      const at = where.get(p);
      const entry = at ? entries[at.entry] : undefined;
      if (!p.filename || !p.sha256 || p.size === undefined || !at || !entry) {
        throw new FerryError('APT_RELEASE_INVALID', `${p.name} ${p.version}: its Packages stanza lacks Filename, SHA256 or Size`, {
          package: p.name,
        });
      }
      const file = p.filename.split('/').pop() as string;
      const other = taken.get(file);
      if (other && other.sha256 !== p.sha256)
        throw new FerryError('APT_RELEASE_INVALID', `${file} is listed with two different SHA256 sums`, { file });
      if (other) continue; // an `all` package chosen for two architectures: carried once, under the entry it was first taken from
      const deb: LockedDeb = {
        name: p.name,
        version: p.version,
        architecture: p.architecture,
        url: `${entry.url}/${p.filename.split('/').map(encodeURIComponent).join('/')}`,
        file,
        sha256: p.sha256,
        size: p.size,
        suite: at.suite,
        index: at.index,
      };
      taken.set(file, deb);
      debs[at.entry]?.set(file, deb);
    }
  }
  const found = [...new Set(conflicts)].sort();
  for (const c of found) events({ type: 'warning', message: `apt: ${c}` });
  return entries.map((entry, e) => {
    const r = read[e] as (typeof read)[number];
    const files: FetchedFiles = new Map([['keyring.gpg', r.keyringBytes]]);
    for (const s of r.suites) for (const [path, body] of s.files) files.set(path, body);
    return {
      files,
      locked: {
        url: entry.url,
        suites: entry.suites,
        components: entry.components,
        architectures: entry.architectures,
        packages: entry.packages,
        dependencies: entry.dependencies,
        recommends: entry.recommends,
        keyring: { path: entry.keyring, sha256: sha256(r.keyringBytes).slice(7), fingerprints: r.fingerprints },
        ...(entry.installed && installedBytes ? { installed: { path: entry.installed, sha256: sha256(installedBytes).slice(7) } } : {}),
        releases: r.suites.map((s) => s.release),
        debs: [...(debs[e] as Map<string, LockedDeb>).values()].sort((a, b) => (a.file < b.file ? -1 : 1)),
        conflicts: found,
      },
    };
  });
}

/** Every promise settled (nothing still downloading once this returns), then the values, or the first failure in order. */
async function settled<T>(promises: Promise<T>[]): Promise<T[]> {
  const all = await Promise.allSettled(promises);
  const failed = all.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return all.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** The packages a dpkg status file says are installed (`Status: install ok installed`). */
export function installedPackages(text: string): Package[] {
  return parseDeb822(text)
    .filter((s) => /\binstalled$/.test(field(s, 'Status') ?? ''))
    .map((s) => packageFromStanza(s))
    .filter((p): p is Package => p !== undefined);
}

async function readLocal(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new FerryError('MANIFEST_INVALID', `cannot read the ${what} ${path}: ${(err as Error).message}`, { path });
  }
}

import { readFile } from 'node:fs/promises';
import { sha256 } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { parseDeb822, field } from './deb822.js';
import { type Package, PackageUniverse, packageFromStanza } from './package-index.js';
import { keyringFingerprints, readKeyring } from './release-signature.js';
import { type Relation, parseRelations } from './relations.js';
import { resolveClosure, satisfies } from './resolve-closure.js';
import type { LockedAptSource, LockedDeb, AptEntry } from './schema.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import { type FetchedFiles, fetchSuite } from './apt-index.js';

export interface ResolvedApt {
  locked: LockedAptSource;
  /** Keyring, Release files and Packages indexes as read, by bundle path (`keyring.gpg`, `dists/<suite>/…`). */
  files: FetchedFiles;
}

/**
 * resolve(): for one apt source, check every suite's signed Release and Packages indexes, merge the suites (the
 * highest version wins), and compute the dependency closure of the requested packages as apt-get install would on
 * the node described by `installed` (an empty dpkg status when absent). Each .deb is pinned to the SHA256 and size
 * its Packages stanza gives.
 */
export async function resolveApt(entry: AptEntry, http: HttpGetter, events: EventSink): Promise<ResolvedApt> {
  const keyringBytes = await readLocal(entry.keyring, 'keyring');
  const keys = await readKeyring(keyringBytes, entry.keyring);
  const installedBytes = entry.installed ? await readLocal(entry.installed, 'dpkg status') : undefined;
  const installed = installedBytes ? installedPackages(installedBytes.toString('utf8')) : [];
  const files: FetchedFiles = new Map([['keyring.gpg', keyringBytes]]);

  const suites = await Promise.all(entry.suites.map((suite) => fetchSuite(entry, suite, keys, http)));
  for (const s of suites) for (const [path, body] of s.files) files.set(path, body);
  const where = new Map<Package, { suite: string; index: string }>();
  for (const s of suites) {
    for (const p of s.packages) {
      const [, index] = (p.origin ?? '').split(' ');
      where.set(p, { suite: s.release.suite, index: index ?? '' });
    }
  }
  // The manifest was checked to hold one relation per package entry.
  const requests = entry.packages.map((p) => parseRelations(p).flat()[0] as Relation);
  const debs = new Map<string, LockedDeb>();
  const conflicts: string[] = [];
  for (const arch of entry.architectures) {
    const files = suites.map((s) => ({ packages: s.packages, priority: 500 }));
    const universe = new PackageUniverse(
      suites.flatMap((s) => s.packages),
      arch,
    );
    const chosen = entry.dependencies
      ? resolveClosure({ files, architecture: arch, installed, requests, recommends: entry.recommends })
      : { install: requests.map((r) => only(universe, r)), conflicts: [] };
    conflicts.push(...chosen.conflicts);
    for (const p of chosen.install) {
      const at = where.get(p);
      if (!p.filename || !p.sha256 || p.size === undefined || !at) {
        throw new FerryError('APT_RELEASE_INVALID', `${p.name} ${p.version}: its Packages stanza lacks Filename, SHA256 or Size`, {
          package: p.name,
        });
      }
      const file = p.filename.split('/').pop() as string;
      const other = debs.get(file);
      if (other && other.sha256 !== p.sha256)
        throw new FerryError('APT_RELEASE_INVALID', `${file} is listed with two different SHA256 sums`, { file });
      debs.set(file, {
        name: p.name,
        version: p.version,
        architecture: p.architecture,
        url: `${entry.url}/${p.filename.split('/').map(encodeURIComponent).join('/')}`,
        file,
        sha256: p.sha256,
        size: p.size,
        suite: at.suite,
        index: at.index,
      });
    }
  }
  for (const c of conflicts) events({ type: 'warning', message: `apt: ${c}` });
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
      keyring: { path: entry.keyring, sha256: sha256(keyringBytes).slice(7), fingerprints: await keyringFingerprints(keys) },
      ...(entry.installed && installedBytes ? { installed: { path: entry.installed, sha256: sha256(installedBytes).slice(7) } } : {}),
      releases: suites.map((s) => s.release),
      debs: [...debs.values()].sort((a, b) => (a.file < b.file ? -1 : 1)),
      conflicts: [...new Set(conflicts)].sort(),
    },
  };
}

/** `dependencies: false`: just the requested packages, each at the highest version its request allows. */
function only(universe: PackageUniverse, r: Relation): Package {
  const hit = universe.versions(r.name).find((p) => satisfies(p, r));
  if (!hit) throw new FerryError('APT_UNSATISFIABLE', `no version of ${r.name} satisfies the request`, { package: r.name });
  return hit;
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

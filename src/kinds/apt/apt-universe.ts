import { comparableUrl } from '../../core/url-form.js';
import { FerryError } from '../../core/errors.js';
import type { SuiteIndexes } from './apt-index.js';
import { compareDebianVersions } from './debian-version.js';
import type { IndexFile, Package } from './package-index.js';
import { type Relation, formatRelation } from './relations.js';
import { satisfies } from './resolve-closure.js';
import type { AptEntry } from './schema.js';

/**
 * The apt sources of a manifest as one package universe, as apt builds one from several sources.list lines: every
 * Packages index of every entry, in apt's cache order (entries, then their suites, then components), each read once.
 */

/** Where a package of the universe was listed: its entry (place in spec.apt), suite, and index path under dists/<suite>/. */
export interface Listing {
  entry: number;
  suite: string;
  index: string;
}

/**
 * Which indexes each entry's suite reads: an index (URL, suite, component, architecture) configured twice is read
 * once, by the first entry that names it, as apt reads a duplicate sources.list line once ("Duplicate sources.list
 * entry"). `reads(e, s)` is the filter for the `s`th suite of the `e`th entry.
 */
export function indexReaders(entries: readonly AptEntry[]): (entry: number, suite: number) => (component: string, arch: string) => boolean {
  const owner = new Map<string, string>();
  const key = (e: AptEntry, suite: string, component: string, arch: string) => `${comparableUrl(e.url)} ${suite} ${component} ${arch}`;
  entries.forEach((e, i) =>
    e.suites.forEach((suite, s) => {
      for (const component of e.components)
        for (const arch of e.architectures)
          owner.set(key(e, suite, component, arch), owner.get(key(e, suite, component, arch)) ?? `${i}/${s}`);
    }),
  );
  return (i, s) => {
    const e = entries[i] as AptEntry;
    const suite = e.suites[s] as string;
    return (component, arch) => owner.get(key(e, suite, component, arch)) === `${i}/${s}`;
  };
}

/** `<suite> <path>`, the origin fetchSuite gives each package: the index path. */
const indexOf = (p: Package) => (p.origin ?? '').split(' ')[1] ?? '';

/**
 * Where the chosen packages were listed (`fetched[e][s]`: the `s`th suite of the `e`th entry); only those, as an
 * entry for each of an archive's 65,000 packages would cost more memory than the closure.
 */
export function listings(fetched: readonly (readonly SuiteIndexes[])[], chosen: ReadonlySet<Package>): Map<Package, Listing> {
  const where = new Map<Package, Listing>();
  fetched.forEach((suites, entry) => {
    for (const s of suites) {
      for (const p of s.packages) if (chosen.has(p)) where.set(p, { entry, suite: s.release.suite, index: indexOf(p) });
    }
  });
  return where;
}

/**
 * The resolver's input for one architecture: the Packages indexes of the entries that list it, in cache order, each
 * with the pin priority of its suite's Release. fetchSuite returns a suite's packages index after index, so an index
 * is a run of packages with one origin.
 */
export function universeFiles(entries: readonly AptEntry[], fetched: readonly (readonly SuiteIndexes[])[], arch: string): IndexFile[] {
  const files: IndexFile[] = [];
  entries.forEach((entry, e) => {
    if (!entry.architectures.includes(arch)) return;
    for (const suite of fetched[e] ?? []) {
      let origin: string | undefined;
      let file: IndexFile | undefined;
      for (const p of suite.packages) {
        if (!file || origin !== p.origin) {
          origin = p.origin;
          file = { packages: [], priority: suite.priority };
          if (indexOf(p).includes(`/binary-${arch}/`)) files.push(file);
        }
        file.packages.push(p);
      }
    }
  });
  return files;
}

/**
 * `dependencies: false`: a requested package alone, at the version apt would take of those its request allows: the
 * highest pin priority first (a NotAutomatic suite only when nothing else allows it), then the highest version; in
 * any entry that lists the architecture.
 */
export function requestedOnly(files: readonly IndexFile[], arch: string, r: Relation): Package {
  let best: { p: Package; priority: number } | undefined;
  for (const f of files) {
    for (const p of f.packages) {
      if (p.name !== r.name || (p.architecture !== arch && p.architecture !== 'all') || !satisfies(p, r)) continue;
      if (!best || f.priority > best.priority || (f.priority === best.priority && compareDebianVersions(p.version, best.p.version) > 0))
        best = { p, priority: f.priority };
    }
  }
  if (!best)
    throw new FerryError(
      'APT_UNSATISFIABLE',
      `apt package ${formatRelation(r)}: no version for ${arch} in the configured sources satisfies it (dependencies: false takes only what is named)`,
      { package: r.name, architecture: arch },
    );
  return best.p;
}

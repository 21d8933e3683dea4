import { FerryError } from '../core/errors.js';
import { compareDebianVersions, satisfiesVersion } from './debian-version.js';
import type { Package, PackageUniverse } from './package-index.js';
import { type Relation, type RelationField, formatRelation } from './relations.js';

export interface ClosureRequest {
  universe: PackageUniverse;
  /** The target node's installed packages (its dpkg status); empty for a bare node. */
  installed: Package[];
  /** What the manifest asks for: `jq (>= 1.6)`, `nfs-common`. */
  requests: Relation[];
  /** Follow Recommends too (apt's default; ferry's is off, as for `--no-install-recommends`). */
  recommends: boolean;
}

export interface Closure {
  /** Packages to carry, by name. */
  install: Package[];
  /** Conflicts or Breaks between chosen and installed packages, one line each (apt would refuse or remove). */
  conflicts: string[];
}

const groupText = (g: Relation[]) => g.map(formatRelation).join(' | ');

/** Does `pkg` satisfy `rel`, itself or through Provides? An unversioned Provides never satisfies a versioned relation. */
export function satisfies(pkg: Package, rel: Relation): boolean {
  if (pkg.name === rel.name && (!rel.op || satisfiesVersion(pkg.version, rel.op, rel.version as string))) return true;
  return pkg.provides.some((p) => p.name === rel.name && (!rel.op || (p.op === '=' && p.version !== undefined && satisfiesVersion(p.version, rel.op, rel.version as string))));
}

/**
 * The dependency closure apt-get install computes (apt pkgDepCache::MarkInstall, depth first): every requested
 * package at its candidate (or the highest version its request allows), then, for each Pre-Depends and Depends group
 * (and Recommends when asked) not already satisfied by an installed or chosen package, the first alternative whose
 * candidate satisfies it — a real package, or else a package that provides it. Only candidates are considered for
 * dependencies, as apt does. An unsatisfiable dependency throws APT_UNSATISFIABLE with the chain that led to it.
 */
export function resolveClosure(req: ClosureRequest): Closure {
  const { universe } = req;
  const installed = new Map(req.installed.map((p) => [p.name, p]));
  const chosen = new Map<string, Package>();
  const present = () => [...installed.values(), ...chosen.values()];
  const isSatisfied = (rel: Relation) => present().some((p) => satisfies(p, rel));

  const pickFor = (rel: Relation): Package | undefined => {
    const candidate = universe.candidate(rel.name);
    if (candidate && satisfies(candidate, rel)) return candidate;
    return universe
      .providersOf(rel.name)
      .filter((p) => satisfies(p, rel))
      .sort((a, b) => (a.name < b.name ? -1 : 1))[0];
  };

  const mark = (pkg: Package, chain: string[]) => {
    const had = chosen.get(pkg.name);
    if (had) {
      if (had.version !== pkg.version) fail([...chain, `${pkg.name} ${pkg.version} is wanted, but ${had.version} is already chosen`]);
      return;
    }
    chosen.set(pkg.name, pkg);
    const groups: [string, RelationField][] = [
      ['Pre-Depends', pkg.preDepends],
      ['Depends', pkg.depends],
      ...(req.recommends ? ([['Recommends', pkg.recommends]] as [string, RelationField][]) : []),
    ];
    for (const [kind, field] of groups) {
      for (const group of field) {
        if (group.some(isSatisfied)) continue;
        const pick = group.map(pickFor).find((p) => p !== undefined);
        const step = `${pkg.name} ${pkg.version} ${kind}: ${groupText(group)}`;
        if (!pick) {
          if (kind === 'Recommends') continue; // apt installs what it can of Recommends and moves on
          fail([...chain, step], group);
        }
        mark(pick as Package, [...chain, step]);
      }
    }
  };

  const fail = (chain: string[], group?: Relation[]): never => {
    const why = group ? `\n  nothing satisfies ${groupText(group)}: ${group.map((r) => available(universe, r.name)).join('; ')}` : '';
    throw new FerryError('APT_UNSATISFIABLE', `cannot resolve the apt packages:\n  ${chain.join('\n  → ')}${why}`, { chain });
  };

  for (const r of req.requests) {
    const versions = universe.versions(r.name).filter((p) => satisfies(p, r));
    const own = installed.get(r.name);
    if (own && satisfies(own, r) && (!versions[0] || compareDebianVersions(own.version, versions[0].version) >= 0)) continue; // already there
    const pick = versions[0] ?? universe.providersOf(r.name).find((p) => satisfies(p, r));
    if (!pick) fail([`requested ${formatRelation(r)}`], [r]);
    mark(pick as Package, [`requested ${formatRelation(r)}`]);
  }

  const all = present();
  const conflicts: string[] = [];
  for (const p of chosen.values()) {
    for (const [kind, field] of [['Conflicts', p.conflicts], ['Breaks', p.breaks]] as const) {
      for (const rel of field.flat()) {
        for (const other of all) {
          if (other.name !== p.name && satisfies(other, rel)) conflicts.push(`${p.name} ${p.version} ${kind} ${formatRelation(rel)}, and ${other.name} ${other.version} is ${chosen.has(other.name) ? 'chosen' : 'installed'}`);
        }
      }
    }
  }
  return { install: [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), conflicts };
}

function available(universe: PackageUniverse, name: string): string {
  const versions = universe.versions(name).map((p) => p.version);
  const providers = universe.providersOf(name).map((p) => `${p.name} ${p.version}`);
  if (versions.length === 0 && providers.length === 0) return `${name} is in no configured suite`;
  return `${name}: ${versions.length ? `candidate ${versions[0]}` : 'no real package'}${providers.length ? `, provided by ${providers.join(', ')}` : ''}`;
}

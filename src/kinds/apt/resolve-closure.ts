import { FerryError } from '../../core/errors.js';
import { compareDebianVersions, satisfiesVersion } from './debian-version.js';
import { type IndexFile, type Package, PackageUniverse } from './package-index.js';
import { type Relation, formatRelation } from './relations.js';

export interface ClosureRequest {
  /** Every Packages index of every source, in sources.list order (entries, suites, components), each with its apt pin priority. */
  files: IndexFile[];
  /** The one architecture this closure is for (`all` packages join every architecture). */
  architecture: string;
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
  return pkg.provides.some(
    (p) =>
      p.name === rel.name &&
      (!rel.op || (p.op === '=' && p.version !== undefined && satisfiesVersion(p.version, rel.op, rel.version as string))),
  );
}

/**
 * The dependency closure apt-get install computes (apt pkgDepCache::MarkInstall, depth first): every requested
 * package at its candidate (or the highest version its request allows), then, for each Pre-Depends and Depends group
 * (and Recommends when asked) not already satisfied by an installed or chosen package, the first alternative whose
 * candidate satisfies it — a real package, or else a package that provides it. Only candidates are considered for
 * dependencies, as apt does. An unsatisfiable dependency throws APT_UNSATISFIABLE with the chain that led to it.
 */
export function resolveClosure(req: ClosureRequest): Closure {
  const universe = new PackageUniverse(
    req.files.flatMap((f) => f.packages),
    req.architecture,
  );
  const installed = new Map(req.installed.map((p) => [p.name, p]));
  const chosen = new Map<string, Package>();
  // Present packages (installed or chosen) by every name they answer to, so a check costs what that name has.
  const byName = new Map<string, Package[]>();
  const present = (p: Package) => {
    for (const n of [p.name, ...p.provides.map((v) => v.name)]) {
      const list = byName.get(n);
      if (list) list.push(p);
      else byName.set(n, [p]);
    }
  };
  for (const p of installed.values()) present(p);
  const isSatisfied = (rel: Relation) => (byName.get(rel.name) ?? []).some((p) => satisfies(p, rel));

  const pickFor = (rel: Relation): Package | undefined => {
    const candidate = universe.candidate(rel.name);
    if (candidate && satisfies(candidate, rel)) return candidate;
    return universe
      .providersOf(rel.name)
      .filter((p) => satisfies(p, rel))
      .sort((a, b) => (a.name < b.name ? -1 : 1))[0];
  };

  const fail = (chain: string[], group?: Relation[]): never => {
    const why = group ? `\n  nothing satisfies ${groupText(group)}: ${group.map((r) => available(universe, r.name)).join('; ')}` : '';
    throw new FerryError('APT_UNSATISFIABLE', `cannot resolve the apt packages:\n  ${chain.join('\n  → ')}${why}`, { chain });
  };

  /** The way to a package, as a list linked backwards (closures run tens of thousands deep; no copying per step). */
  interface Link {
    step: string;
    parent?: Link;
  }
  const chainOf = (link: Link | undefined): string[] => {
    const out: string[] = [];
    for (let l = link; l; l = l.parent) out.unshift(l.step);
    return out;
  };
  interface Frame {
    pkg: Package;
    groups: [string, Relation[]][];
    next: number;
    link: Link;
  }
  const groupsOf = (pkg: Package): [string, Relation[]][] => [
    ...pkg.preDepends.map((g): [string, Relation[]] => ['Pre-Depends', g]),
    ...pkg.depends.map((g): [string, Relation[]] => ['Depends', g]),
    ...(req.recommends ? pkg.recommends.map((g): [string, Relation[]] => ['Recommends', g]) : []),
  ];
  /** Marks `pkg` and walks its dependencies depth first, as recursion would, with an explicit stack (closures run deep). */
  const mark = (first: Package, request: string) => {
    const choose = (pkg: Package, at: Link): Frame | undefined => {
      const had = chosen.get(pkg.name);
      if (had) {
        if (had.version !== pkg.version)
          fail([...chainOf(at), `${pkg.name} ${pkg.version} is wanted, but ${had.version} is already chosen`]);
        return undefined;
      }
      chosen.set(pkg.name, pkg);
      present(pkg);
      return { pkg, groups: groupsOf(pkg), next: 0, link: at };
    };
    const stack: Frame[] = [];
    const top = choose(first, { step: request });
    if (top) stack.push(top);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      if (frame.next >= frame.groups.length) {
        stack.pop();
        continue;
      }
      const [kind, group] = frame.groups[frame.next++] as [string, Relation[]];
      if (group.some(isSatisfied)) continue;
      const step = `${frame.pkg.name} ${frame.pkg.version} ${kind}: ${groupText(group)}`;
      const pick = group.map(pickFor).find((p) => p !== undefined);
      if (!pick) {
        if (kind === 'Recommends') continue; // apt installs what it can of Recommends and moves on
        fail([...chainOf(frame.link), step], group);
      }
      const child = choose(pick as Package, { step, parent: frame.link });
      if (child) stack.push(child);
    }
  };

  for (const r of req.requests) {
    const versions = universe.versions(r.name).filter((p) => satisfies(p, r));
    const own = installed.get(r.name);
    if (own && satisfies(own, r) && (!versions[0] || compareDebianVersions(own.version, versions[0].version) >= 0)) continue; // already there
    const pick = versions[0] ?? providerOfRequest(universe, r);
    if (!pick) fail([`requested ${formatRelation(r)}`], [r]);
    mark(pick as Package, `requested ${formatRelation(r)}`);
  }

  const conflicts: string[] = [];
  for (const p of chosen.values()) {
    for (const [kind, field] of [
      ['Conflicts', p.conflicts],
      ['Breaks', p.breaks],
    ] as const) {
      for (const rel of field.flat()) {
        for (const other of byName.get(rel.name) ?? []) {
          if (other.name !== p.name && satisfies(other, rel))
            conflicts.push(
              `${p.name} ${p.version} ${kind} ${formatRelation(rel)}, and ${other.name} ${other.version} is ${chosen.get(other.name) === other ? 'chosen' : 'installed'}`,
            );
        }
      }
    }
  }
  return { install: [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), conflicts: [...new Set(conflicts)] };
}

function available(universe: PackageUniverse, name: string): string {
  const versions = universe.versions(name).map((p) => p.version);
  const providers = universe.providersOf(name).map((p) => `${p.name} ${p.version}`);
  if (versions.length === 0 && providers.length === 0) return `${name} is in no configured suite`;
  return `${name}: ${versions.length ? `candidate ${versions[0]}` : 'no real package'}${providers.length ? `, provided by ${providers.join(', ')}` : ''}`;
}

/**
 * A requested name no package has, as apt-get install reads it: a virtual package with one provider is that provider
 * ("Note, selecting 'rsyslog' instead of 'syslogd'"); with several, apt refuses and lists them ("Package awk is a
 * virtual package provided by: … You should explicitly select one to install."), and so does ferry.
 */
function providerOfRequest(universe: PackageUniverse, r: Relation): Package | undefined {
  const providers = universe.providersOf(r.name).filter((p) => satisfies(p, r));
  const names = [...new Set(providers.map((p) => p.name))].sort();
  if (names.length > 1) {
    const list = names.map((n) => `${n} ${providers.find((p) => p.name === n)?.version}`).join(', ');
    throw new FerryError(
      'APT_UNSATISFIABLE',
      `apt package ${formatRelation(r)} is a virtual package provided by: ${list}; name the one to install in packages:, as apt-get install asks`,
      { package: r.name, providers: names },
    );
  }
  return providers[0];
}

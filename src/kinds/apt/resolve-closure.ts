import { FerryError } from '../../core/errors.js';
import { satisfiesVersion } from './debian-version.js';
import type { IndexFile, Package } from './package-index.js';
import { type Relation, formatRelation } from './relations.js';
import { AptCache, type DepGroup, isCritical, isNegative, type Pkg, type Ver, priorityOf } from './solver/cache.js';
import { groupMet, installState, targets, versionMatches } from './solver/dep-state.js';
import { Marker } from './solver/mark-install.js';

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
  /** Packages to carry (new, or upgrades of installed ones), by name: the stanzas given in `files`. */
  install: Package[];
  /** What apt would do beyond installing them (remove an installed package, leave one broken), one line each. */
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
 * What `apt-get install --simulate REQUESTS` would install on the node the status describes (apt 2.6,
 * apt-private/private-install.cc): the candidates across all sources by apt's policy, each request marked, then
 * marked again with its dependencies in cache order, by apt's own marking (solver/mark-install.ts). apt calls its
 * problem resolver when that leaves something broken; ferry does not imitate it, and says so in `conflicts` (a
 * requested package that cannot be installed fails with the chain that led to the missing dependency).
 */
export function resolveClosure(req: ClosureRequest): Closure {
  const cache = new AptCache(req.files, req.architecture, req.installed);
  const m = new Marker(cache, req.recommends);
  const asked = new Map<Pkg, Relation>();
  for (const r of req.requests) {
    const pkg = requested(cache, r);
    asked.set(pkg, r);
    pkg.protect = true; // pkgProblemResolver::Protect
    m.markInstall(pkg, false, 0, true);
  }
  // TryToInstall::doAutoInstall walks an APT::PackageSet: cache order, not the order of the command line.
  for (const pkg of [...asked.keys()].sort((a, b) => a.id - b.id)) m.markInstall(pkg, true, 0, true);

  // Something protected (asked for, or the one way to meet what was) left broken: apt's resolver may not change it,
  // and apt-get install fails ("you have held broken packages").
  for (const p of cache.records()) {
    if (p.protect && (m.instBroken(p) || (asked.has(p) && !p.installVer))) fail(cache, m, asked, p);
  }
  const conflicts: string[] = [];
  const install: Package[] = [];
  for (const p of cache.records()) {
    if (p.mode === 'delete' && p.current)
      conflicts.push(`apt-get would remove ${p.name} ${p.current.stanza.version} (installed): ${m.removedFor.get(p) ?? 'so apt decided'}`);
    if (p.mode === 'install' && p.installVer && p.installVer !== p.current) install.push(p.installVer.stanza);
    if (!p.installVer) continue;
    for (const g of p.installVer.groups) {
      if (isCritical(g.type) && !groupMet(cache, g, p, installState))
        conflicts.push(
          `${p.name} ${p.installVer.stanza.version} ${g.type} ${groupText(g.alts)} is not met: apt-get would call its problem resolver here, and its answer may differ from ferry's`,
        );
    }
  }
  conflicts.push(...unmatched(req, install));
  return { install: install.sort((a, b) => (a.name < b.name ? -1 : 1)), conflicts: [...new Set(conflicts)].sort() };
}

/** What apt on the node weighs and ferry cannot: said, never silently assumed. */
function unmatched(req: ClosureRequest, install: Package[]): string[] {
  const out: string[] = [];
  const foreign = req.installed
    .filter((p) => p.architecture !== req.architecture && p.architecture !== 'all')
    .map((p) => `${p.name}:${p.architecture}`);
  if (foreign.length > 0)
    out.push(
      `the dpkg status holds packages of other architectures, which ferry leaves out of the ${req.architecture} closure (apt with them enabled may choose differently): ${foreign.slice(0, 10).join(', ')}${foreign.length > 10 ? `, and ${foreign.length - 10} more` : ''}`,
    );
  for (const p of install) {
    if (p.extra?.phased !== undefined)
      out.push(
        `${p.name} ${p.version} is a phased update (Phased-Update-Percentage: ${p.extra.phased}): apt on a node outside the phase keeps the older version`,
      );
  }
  return out;
}

/**
 * The package a request names, at its candidate or the highest version the request allows (apt-get install
 * `pkg=version` sets the candidate so). A name only virtual packages answer to is read as apt-get reads it: its one
 * provider ("Note, selecting 'rsyslog' instead of 'syslogd'"), or refused when several provide it ("You should
 * explicitly select one to install").
 */
function requested(cache: AptCache, r: Relation): Pkg {
  const pkg = cache.get(r.name);
  const real = pkg?.versions.filter((v) => priorityOf(v) > 0 || v === pkg.current) ?? [];
  if (pkg && real.length > 0) {
    if (!pkg.candidate || !versionMatches(pkg.candidate, r)) {
      const allowed = real.find((v) => versionMatches(v, r));
      if (!allowed) unsatisfiable(cache, [`requested ${formatRelation(r)}`], [r]);
      pkg.candidate = allowed;
    }
    return pkg;
  }
  const providers = (pkg?.providers ?? []).filter(
    (p) => p.ver.pkg.candidate === p.ver && (!r.op || (p.version !== undefined && satisfiesVersion(p.version, r.op, r.version as string))),
  );
  const names = [...new Set(providers.map((p) => p.ver.pkg.name))].sort();
  if (names.length > 1) {
    const list = names.map((n) => `${n} ${providers.find((p) => p.ver.pkg.name === n)?.ver.stanza.version}`).join(', ');
    throw new FerryError(
      'APT_UNSATISFIABLE',
      `apt package ${formatRelation(r)} is a virtual package provided by: ${list}; name the one to install in packages:, as apt-get install asks`,
      { package: r.name, providers: names },
    );
  }
  const only = providers[0]?.ver.pkg;
  if (!only) unsatisfiable(cache, [`requested ${formatRelation(r)}`], [r]);
  return only as Pkg;
}

/** A protected package apt could not install: the chain from the request down to the dependency nothing meets. */
function fail(cache: AptCache, m: Marker, asked: Map<Pkg, Relation>, broken: Pkg): never {
  // Up: who pulled it in, back to a request.
  const up: { pkg: Pkg; group: DepGroup }[] = [];
  let top = broken;
  for (let link = m.pulledBy.get(top); link && !asked.has(top) && up.length < 3000; link = m.pulledBy.get(top)) {
    up.unshift({ pkg: link.by, group: link.group });
    top = link.by;
  }
  const r = asked.get(top);
  const chain = [r ? `requested ${formatRelation(r)}` : `${top.name} (protected)`];
  for (const { pkg, group } of up)
    chain.push(`${pkg.name} ${(pkg.installVer ?? pkg.candidate)?.stanza.version} ${group.type}: ${groupText(group.alts)}`);
  // Down: the unmet dependency, and what in turn kept its packages out.
  const seen = new Set<Pkg>();
  let at: Pkg | undefined = broken;
  let last: DepGroup | undefined;
  while (at && !seen.has(at)) {
    const here: Pkg = at;
    seen.add(here);
    const ver = here.installVer;
    const brokenGroup = ver?.groups.find((g) => isCritical(g.type) && !groupMet(cache, g, here, installState));
    const why: { ver: Ver; group: DepGroup } | undefined = brokenGroup && ver ? { ver, group: brokenGroup } : m.unmet.get(here);
    if (!why) break;
    chain.push(`${here.name} ${why.ver.stanza.version} ${why.group.type}: ${groupText(why.group.alts)}`);
    last = why.group;
    at = why.group.alts.map((a) => cache.get(a.name)).find((p) => p !== undefined && m.unmet.has(p) && !seen.has(p));
  }
  if (last && isNegative(last.type)) {
    const there = last.alts.flatMap((r) => targets(cache, r, installState, broken)).map((v) => `${v.pkg.name} ${v.stanza.version}`);
    throw new FerryError(
      'APT_UNSATISFIABLE',
      `cannot resolve the apt packages:\n  ${chain.join('\n  → ')}\n  but ${there.join(', ')} is to be installed too (or stays installed): apt-get refuses this set; drop one of them`,
      { chain },
    );
  }
  unsatisfiable(cache, chain, last?.alts);
}

function unsatisfiable(cache: AptCache, chain: string[], group?: Relation[]): never {
  const why = group ? `\n  nothing satisfies ${groupText(group)}: ${group.map((r) => available(cache, r.name)).join('; ')}` : '';
  throw new FerryError('APT_UNSATISFIABLE', `cannot resolve the apt packages:\n  ${chain.join('\n  → ')}${why}`, { chain });
}

function available(cache: AptCache, name: string): string {
  const pkg = cache.get(name);
  const versions = (pkg?.versions ?? []).filter((v: Ver) => priorityOf(v) > 0).map((v) => v.stanza.version);
  const providers = (pkg?.providers ?? [])
    .filter((p) => p.ver.pkg.candidate === p.ver)
    .map((p) => `${p.ver.pkg.name} ${p.ver.stanza.version}`);
  if (versions.length === 0 && providers.length === 0) return `${name} is in no configured suite`;
  return `${name}: ${versions.length ? `candidate ${versions[0]}` : 'no real package'}${providers.length ? `, provided by ${providers.join(', ')}` : ''}`;
}

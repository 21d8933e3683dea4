import { satisfiesVersion } from '../debian-version.js';
import type { Relation } from '../relations.js';
import { type AptCache, type DepGroup, isNegative, type Pkg, type Ver } from './cache.js';

/** Which version of a package a question is about: the one to be installed (the state being built), the candidate, or the installed one. */
export type Selector = (p: Pkg) => Ver | undefined;
export const installState: Selector = (p) => p.installVer;
export const candidateOf: Selector = (p) => p.candidate;
export const currentOf: Selector = (p) => p.current;

/** Does this version satisfy the relation by its own name and version (pkgCache::DepIterator::IsSatisfied)? */
export const versionMatches = (v: Ver, r: Relation) => !r.op || satisfiesVersion(v.stanza.version, r.op, r.version as string);

/**
 * The versions, picked by `select`, that answer a relation: the package of that name, and every package providing it
 * (an unversioned Provides never answers a versioned relation). For a Conflicts or Breaks, the package that declares
 * it never counts against itself (pkgCache::DepIterator::IsIgnorable). apt-pkg/cacheset.cc FromDependency.
 */
export function targets(cache: AptCache, r: Relation, select: Selector, negativeOf?: Pkg): Ver[] {
  const t = cache.get(r.name);
  if (!t) return [];
  const out: Ver[] = [];
  const tv = select(t);
  if (tv && t !== negativeOf && versionMatches(tv, r)) out.push(tv);
  for (const prv of t.providers) {
    if (negativeOf && prv.ver.pkg === negativeOf) continue;
    if (select(prv.ver.pkg) !== prv.ver) continue;
    if (r.op && (prv.version === undefined || !satisfiesVersion(prv.version, r.op, r.version as string))) continue;
    if (!out.includes(prv.ver)) out.push(prv.ver);
  }
  return out;
}

/**
 * Is one alternative of a group met in the state `select` describes? For a Conflicts or Breaks, met means that
 * nothing it names is there (apt's DepInstall bit for a negative dependency).
 */
export function altMet(cache: AptCache, g: DepGroup, r: Relation, owner: Pkg, select: Selector): boolean {
  const found = targets(cache, r, select, isNegative(g.type) ? owner : undefined).length > 0;
  return isNegative(g.type) ? !found : found;
}

export const groupMet = (cache: AptCache, g: DepGroup, owner: Pkg, select: Selector) =>
  g.alts.some((r) => altMet(cache, g, r, owner, select));

/**
 * apt-pkg/depcache.cc CompareProviders: which of two versions answering a relation on `target` apt tries first —
 * the protected one (a package the user asked for), an installed one, the real package of that name, an Essential
 * one, an Important one, the higher Priority (required first), and then the package created later in the cache.
 */
export function compareProviders(target: string): (a: Ver, b: Ver) => number {
  return (av, bv) => {
    const a = av.pkg;
    const b = bv.pkg;
    if (a === b) return 0;
    if (a.protect !== b.protect) return a.protect ? -1 : 1;
    const same = (v: Ver) => v.stanza.multiArch === 'same' && v.pkg.current !== undefined;
    if ((av.stanza.multiArch === 'same' || bv.stanza.multiArch === 'same') && same(av) !== same(bv)) return same(av) ? -1 : 1;
    if (!a.current !== !b.current) return a.current ? -1 : 1;
    if (a.name !== b.name) {
      if (a.name === target) return -1;
      if (b.name === target) return 1;
    }
    if (a.essential !== b.essential) return a.essential ? -1 : 1;
    if (a.important !== b.important) return a.important ? -1 : 1;
    const pa = av.stanza.extra?.priority ?? 0;
    const pb = bv.stanza.extra?.priority ?? 0;
    if (pa !== pb) return pa < pb ? -1 : 1;
    return b.id - a.id;
  };
}

/**
 * apt-pkg/depcache.cc getAllPossibleSolutions: the versions that could meet a group, alternative by alternative,
 * each alternative's sorted by CompareProviders; then those of installed packages first (an upgrade before a new
 * package). Unsorted: the distinct versions only.
 */
export function possibleSolutions(
  cache: AptCache,
  g: DepGroup,
  owner: Pkg,
  select: Selector | 'candidate-and-installed',
  sorted: boolean,
): Ver[] {
  const negative = isNegative(g.type);
  const upgrades: Ver[] = [];
  const fresh: Ver[] = [];
  for (const r of g.alts) {
    const found =
      select === 'candidate-and-installed'
        ? [...targets(cache, r, candidateOf, negative ? owner : undefined), ...targets(cache, r, currentOf, negative ? owner : undefined)]
        : targets(cache, r, select, negative ? owner : undefined);
    if (!sorted) {
      upgrades.push(...found);
      continue;
    }
    found.sort(compareProviders(r.name));
    for (const v of found) (v.pkg.current ? upgrades : fresh).push(v);
  }
  const all = [...new Set([...upgrades, ...fresh])];
  if (negative) return all;
  // A protected package that is to stay away (removed, or kept uninstalled) is no solution.
  return all.filter((v) => !(v.pkg.protect && (v.pkg.mode === 'delete' || (v.pkg.mode === 'keep' && !v.pkg.current))));
}

import { type DepGroup, isNegative, type Pkg, type Ver } from './cache.js';
import { formatRelation } from '../relations.js';
import { candidateOf, currentOf, possibleSolutions, versionMatches } from './dep-state.js';
import type { Marker } from './mark-install.js';

/**
 * What installing a version does to other packages, as apt-pkg/depcache.cc MarkInstall handles it before the new
 * version's own dependencies: what it conflicts with is kept back or removed (or upgraded, when an upgrade clears the
 * conflict); installed packages that depended on the old version are upgraded; and installed binaries built from the
 * same source are upgraded with it (APT::Get::Upgrade-By-Source-Package, on by default).
 */

/** MarkInstall_MarkDeleteForNotUpgradeable. */
function markDeleteForNotUpgradeable(
  m: Marker,
  pv: Ver,
  g: DepGroup,
  depth: number,
  pkg: Pkg,
  propagate: boolean,
  delayedRemove: Pkg[],
): boolean {
  const why = `${pv.stanza.name} ${pv.stanza.version} ${g.type} ${g.alts.map(formatRelation).join(' | ')}`;
  if (!propagate) {
    if (pkg.mode === 'delete') return true;
    if (!m.modeChangeOk('delete', pkg, depth, false) || (!pkg.current && pkg.manual)) return false;
    m.removedFor.set(pkg, why);
    delayedRemove.push(pkg);
    return true;
  }
  if (pkg.mode !== 'delete' && !m.markDelete(pkg, depth + 1, false, why)) return false;
  m.discardCandidate(pkg);
  pkg.protect = true;
  return true;
}

/** MarkInstall_RemoveConflictsIfNotUpgradeable: for each Conflicts and Breaks of the version being installed. */
export function removeConflictsIfNotUpgradeable(
  m: Marker,
  pv: Ver,
  depth: number,
  toRemove: DepGroup[],
  toUpgrade: Pkg[],
  delayedRemove: Pkg[],
  propagate: boolean,
  fromUser: boolean,
): boolean {
  let failed = false;
  const stop = () => failed && !propagate && !fromUser;
  const badCandidate: Pkg[] = [];
  for (const g of toRemove) {
    // A candidate it conflicts with is kept at its installed version (or out) instead.
    for (const v of possibleSolutions(m.cache, g, pv.pkg, candidateOf, true)) {
      const p = v.pkg;
      if (p.candidate !== v) continue;
      if (p.current !== v) {
        if (p.mode === 'install' && !m.markKeep(p, depth, false)) {
          failed = true;
          if (stop()) break;
        } else if (propagate) {
          m.discardCandidate(p);
          if (!p.current) p.protect = true;
        } else badCandidate.push(p);
      } else if (!markDeleteForNotUpgradeable(m, pv, g, depth, p, propagate, delayedRemove)) {
        failed = true;
        if (stop()) break;
      }
    }
    if (stop()) break;
    // An installed version it conflicts with is upgraded when its candidate differs, else removed.
    for (const v of possibleSolutions(m.cache, g, pv.pkg, currentOf, true)) {
      const p = v.pkg;
      if (p.candidate !== v && p.candidate && !badCandidate.includes(p)) toUpgrade.push(p);
      else if (p.candidate === p.current) continue;
      else if (!markDeleteForNotUpgradeable(m, pv, g, depth, p, propagate, delayedRemove)) {
        failed = true;
        if (stop()) break;
      }
    }
    if (stop()) break;
  }
  toRemove.length = 0;
  return !failed;
}

/**
 * MarkInstall_CollectReverseDepends: upgrading an installed package, every installed package whose dependency the
 * old version met and the new one does not (`libpam-systemd Depends: systemd (= 252.30-1~deb12u2)`) is upgraded too.
 */
export function collectReverseDepends(m: Marker, pv: Ver, toUpgrade: Pkg[]): void {
  const cur = pv.pkg.current;
  if (!cur) return;
  for (const { ver, group, alt } of m.cache.reverseDepends(pv.pkg.name)) {
    const parent = ver.pkg;
    if (parent.current !== ver || parent.mode === 'install') continue;
    if (!m.isImportant(group) || isNegative(group.type)) continue;
    if (!versionMatches(cur, alt) || versionMatches(pv, alt)) continue;
    if (!toUpgrade.includes(parent)) toUpgrade.push(parent);
  }
}

/**
 * MarkInstall_UpgradeOtherBinaries: installed packages of the same source, whose candidate is built from the same
 * source version as the version being installed, are upgraded with it (curl brings libcurl4; udev brings libudev1).
 */
export function upgradeOtherBinaries(m: Marker, pkg: Pkg, ver: Ver, depth: number): void {
  const source = ver.stanza.extra?.source ?? ver.stanza.name;
  const sourceVersion = ver.stanza.extra?.sourceVersion ?? ver.stanza.version;
  const upgrade = new Set<Pkg>();
  for (const other of m.cache.bySource(source)) {
    const o = other.pkg;
    if (o === pkg || !o.current || o.current === other) continue;
    if (o.mode === 'install' && o.installVer === other) continue;
    if ((other.stanza.extra?.sourceVersion ?? other.stanza.version) !== sourceVersion || o.candidate !== other) continue;
    upgrade.add(o);
  }
  // APT::PackageSet iterates in cache order.
  const ordered = [...upgrade].sort((a, b) => a.id - b.id);
  for (const o of ordered) m.markInstall(o, false, depth + 1, false);
  for (const o of ordered) m.markInstall(o, true, depth + 1, false);
}

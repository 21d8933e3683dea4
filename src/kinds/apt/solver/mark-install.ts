import { FerryError } from '../../../core/errors.js';
import { type AptCache, type DepGroup, isCritical, isNegative, type Mode, type Pkg, type Ver } from './cache.js';
import { candidateOf, currentOf, groupMet, installState, possibleSolutions } from './dep-state.js';
import { collectReverseDepends, removeConflictsIfNotUpgradeable, upgradeOtherBinaries } from './mark-neighbours.js';

/** Deepest dependency chain marked (each level is a few stack frames; real archives stay far below). */
const MAX_DEPTH = 500;

/**
 * The marking half of apt's pkgDepCache (apt-pkg/depcache.cc, apt 2.6), which `apt-get install` runs before its
 * problem resolver: MarkInstall with its helpers, MarkKeep and MarkDelete, on the state kept in each Pkg. Written
 * from apt's behaviour step by step, because every shortcut (taking the first provider by name, not upgrading what an
 * install breaks) gives a node a different set than apt would.
 */
export class Marker {
  /** Why each package was marked: the package and group that pulled it in (for error chains). */
  readonly pulledBy = new Map<Pkg, { by: Pkg; group: DepGroup }>();
  /** A critical group a version could not meet, as apt found it (for error chains). */
  readonly unmet = new Map<Pkg, { ver: Ver; group: DepGroup }>();
  /** Why an installed package is to be removed. */
  readonly removedFor = new Map<Pkg, string>();

  constructor(
    readonly cache: AptCache,
    readonly recommends: boolean,
  ) {}

  isImportant = (g: DepGroup) => isCritical(g.type) || (g.type === 'Recommends' && this.recommends);

  /** apt-pkg/depcache.cc IsModeChangeOk (no holds here). */
  modeChangeOk(mode: Mode, pkg: Pkg, depth: number, fromUser: boolean): boolean {
    if (depth > 3000 || pkg.versions.length === 0) return false;
    if (fromUser || pkg.mode === mode) return true;
    if (pkg.protect) return false;
    if (mode === 'delete' && (pkg.essential || pkg.important)) return false;
    return true;
  }

  /** Is the version to be installed missing a dependency, or in conflict (InstBroken; with `policy`, Recommends too)? */
  instBroken(pkg: Pkg, policy = false): boolean {
    const v = pkg.installVer;
    if (!v) return false;
    return v.groups.some((g) => (isCritical(g.type) || (policy && this.isImportant(g))) && !groupMet(this.cache, g, pkg, installState));
  }

  stateChange(pkg: Pkg, fromUser: boolean): void {
    pkg.mode = 'install';
    pkg.installVer = pkg.candidate;
    if (fromUser) pkg.manual = true;
    if (pkg.candidate === pkg.current) pkg.mode = 'keep';
  }

  markKeep(pkg: Pkg, depth: number, fromUser: boolean): boolean {
    if (!this.modeChangeOk('keep', pkg, depth, fromUser)) return false;
    if (pkg.mode === 'keep') return true;
    pkg.mode = 'keep';
    pkg.installVer = pkg.current;
    return true;
  }

  markDelete(pkg: Pkg, depth: number, fromUser: boolean, why = 'its upgrade is not possible'): boolean {
    if (!this.modeChangeOk('delete', pkg, depth, fromUser)) return false;
    if (pkg.mode === 'delete' || !pkg.installVer) return true;
    // IsDeleteOkProtectInstallRequests: what the user asked to install is not removed on the way.
    if (!fromUser && !pkg.current && pkg.manual) return false;
    if (pkg.current) this.removedFor.set(pkg, why);
    pkg.mode = pkg.current ? 'delete' : 'keep';
    pkg.installVer = undefined;
    return true;
  }

  discardCandidate(pkg: Pkg): void {
    pkg.candidate = pkg.installVer;
  }

  discardInstall(pkg: Pkg): void {
    if (pkg.mode === 'keep' && pkg.installVer === pkg.candidate && pkg.candidate === pkg.current) return;
    pkg.installVer = pkg.current;
    pkg.mode = 'keep';
    this.discardCandidate(pkg);
  }

  /**
   * IsInstallOkDependenciesSatisfiableByCandidates: a candidate with a critical dependency that neither the state
   * nor any candidate can meet is dropped (the package keeps its installed version, or none).
   */
  private installOk(pkg: Pkg, autoInst: boolean): boolean {
    const cand = pkg.candidate;
    if (!autoInst || !cand || cand === pkg.current) return true;
    for (const g of cand.groups) {
      if (!isCritical(g.type) || isNegative(g.type)) continue;
      if (groupMet(this.cache, g, pkg, installState) || groupMet(this.cache, g, pkg, candidateOf)) continue;
      this.unmet.set(pkg, { ver: cand, group: g });
      if (!pkg.protect) {
        pkg.candidate = pkg.current;
        if (pkg.mode !== 'delete') pkg.mode = 'keep';
      }
      return false;
    }
    return true;
  }

  /** pkgDepCache::MarkInstall. */
  markInstall(pkg: Pkg, autoInst: boolean, depth: number, fromUser: boolean): boolean {
    if (depth > MAX_DEPTH) {
      throw new FerryError(
        'APT_UNSATISFIABLE',
        `apt package ${pkg.name}: its dependency chain runs deeper than ${MAX_DEPTH} packages, where ferry stops (apt itself gives up at 3000; real archives stay under 100)`,
        { package: pkg.name },
      );
    }
    if (pkg.protect && pkg.mode === 'keep' && pkg.candidate && pkg.candidate === pkg.current) {
      // here to pass protection on to its dependencies; no state changes
    } else if (!this.modeChangeOk('install', pkg, depth, fromUser)) return false;
    if (!pkg.candidate) return false;
    if (!pkg.protect && !this.instBroken(pkg, true) && !this.instBroken(pkg)) {
      if (pkg.candidate === pkg.current) return pkg.installVer ? true : this.markKeep(pkg, depth + 1, fromUser);
      if (pkg.mode === 'install') return true;
    }
    if (!this.installOk(pkg, autoInst)) return false;
    if (fromUser) this.stateChange(pkg, fromUser);
    const failEarly = !pkg.protect && !fromUser;
    let failed = false;
    const toInstall: DepGroup[] = [];
    const toRemove: DepGroup[] = [];
    const toUpgrade: Pkg[] = [];
    const delayedRemove: Pkg[] = [];
    if (autoInst) {
      const pv = pkg.candidate as Ver;
      this.collectDependencies(pv, toInstall, toRemove);
      if (!removeConflictsIfNotUpgradeable(this, pv, depth, toRemove, toUpgrade, delayedRemove, pkg.protect, fromUser)) {
        if (failEarly) return false;
        failed = true;
      }
      collectReverseDepends(this, pv, toUpgrade);
    }
    if (!fromUser) this.stateChange(pkg, fromUser);
    if (!autoInst) return !failed;

    const already = pkg.protect;
    pkg.protect = true; // while its dependencies are marked, nothing may undo it (ScopedProtected)
    try {
      upgradeOtherBinaries(this, pkg, pkg.candidate as Ver, depth);
      const steps = [
        () => this.upgradeOrRemove(depth, toUpgrade, already, fromUser),
        () => this.installDependencies(pkg, depth, toInstall, already, fromUser),
        () => delayedRemove.every((r) => this.markDelete(r, depth, false, this.removedFor.get(r))),
      ];
      for (const step of steps) {
        if (step()) continue;
        if (failEarly) {
          pkg.protect = already;
          this.discardInstall(pkg);
          return false;
        }
        failed = true;
      }
    } finally {
      pkg.protect = already;
    }
    return !failed;
  }

  /** MarkInstall_CollectDependencies: the groups of the new version that are not met already (all of them for a protected package). */
  private collectDependencies(pv: Ver, toInstall: DepGroup[], toRemove: DepGroup[]): void {
    const propagate = pv.pkg.protect;
    for (const g of pv.groups) {
      if (groupMet(this.cache, g, pv.pkg, installState) && !propagate) continue;
      if (!this.isImportant(g)) continue;
      (isNegative(g.type) ? toRemove : toInstall).push(g);
    }
  }

  /** MarkInstall_UpgradeOrRemoveConflicts. */
  private upgradeOrRemove(depth: number, toUpgrade: Pkg[], propagate: boolean, fromUser: boolean): boolean {
    let failed = false;
    for (const p of toUpgrade) {
      if (p.mode === 'install' || this.markInstall(p, true, depth + 1, false)) continue;
      if (!this.markDelete(p, depth + 1, false)) {
        failed = true;
        if (!propagate && !fromUser) break;
      } else if (propagate) p.protect = true;
    }
    return !failed;
  }

  /** MarkInstall_InstallDependencies. */
  private installDependencies(pkg: Pkg, depth: number, toInstall: DepGroup[], propagate: boolean, fromUser: boolean): boolean {
    let failed = false;
    for (const g of toInstall) {
      const met = groupMet(this.cache, g, pkg, installState);
      if (met && !propagate) continue;
      const critical = isCritical(g.type);
      if (met) {
        // pass protection down a critical dependency only one package can meet
        if (!critical) continue;
        const only = possibleSolutions(this.cache, g, pkg, 'candidate-and-installed', false);
        const inst = only[0]?.pkg;
        if (only.length !== 1 || !inst || inst.protect) continue;
        inst.protect = true;
        if (!this.markInstall(inst, true, depth + 1, false)) failed = true;
        continue;
      }
      if (pkg.current && !critical && this.oldUnmetRecommends(pkg.current, g)) continue;
      let found = false;
      const solutions = possibleSolutions(this.cache, g, pkg, candidateOf, true);
      for (const v of solutions) {
        const inst = v.pkg;
        if (inst.candidate !== v) continue;
        if (propagate && critical && solutions.length === 1) {
          if (!this.markInstall(inst, false, depth + 1, false)) continue;
          inst.protect = true;
        }
        if (!this.pulledBy.has(inst)) this.pulledBy.set(inst, { by: pkg, group: g });
        if (!this.markInstall(inst, true, depth + 1, false)) continue;
        found = true;
        break;
      }
      if (!found && critical) {
        const ver = pkg.installVer ?? pkg.candidate;
        if (ver && !this.unmet.has(pkg)) this.unmet.set(pkg, { ver, group: g });
        failed = true;
        if (!propagate && !fromUser) break;
      }
    }
    return !failed;
  }

  /**
   * An installed package's Recommends that its installed version had too and that was not met then is not installed
   * now (apt: "ignore old unsatisfied important dependency"); a new or once-met one is.
   */
  private oldUnmetRecommends(current: Ver, g: DepGroup): boolean {
    const name = g.alts[0]?.name;
    let isNew = true;
    for (const old of current.groups) {
      if (isCritical(old.type) || !this.isImportant(old) || !old.alts.some((r) => r.name === name)) continue;
      isNew = false;
      if (groupMet(this.cache, old, current.pkg, currentOf)) return false;
    }
    return !isNew;
  }
}

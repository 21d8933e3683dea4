import { compareDebianVersions } from '../debian-version.js';
import { type IndexFile, type Package, relationNames, relationNamesOf } from '../package-index.js';
import type { Relation } from '../relations.js';

/** apt's dependency kinds, in the order apt reads them from a stanza (apt-pkg/deb/deblistparser.cc NewVersion). */
export type DepType = 'Pre-Depends' | 'Depends' | 'Conflicts' | 'Breaks' | 'Recommends';
export interface DepGroup {
  type: DepType;
  /** `a | b`: the alternatives, in order (negative kinds have one). */
  alts: Relation[];
}
export const isCritical = (t: DepType) => t !== 'Recommends';
export const isNegative = (t: DepType) => t === 'Conflicts' || t === 'Breaks';

/** One version of a package as apt's cache holds it: the stanza, and the highest pin priority of the files listing it. */
export class Ver {
  private parsed?: DepGroup[];

  constructor(
    readonly pkg: Pkg,
    /** The stanza: from the first Packages index that listed this version (else the dpkg status). */
    readonly stanza: Package,
    /** Highest priority among the index files listing it (apt-pkg/policy.cc GetPriority); -1 when only the status has it. */
    public priority: number,
    /** Is it listed in the dpkg status? */
    public inStatus: boolean,
  ) {}

  /** Its dependency groups, parsed when the resolver first looks (most versions it never does). */
  get groups(): DepGroup[] {
    this.parsed ??= groupsOf(this.stanza);
    return this.parsed;
  }
}

export type Mode = 'keep' | 'install' | 'delete';

/** A package (one name, one architecture) with its state, as apt-pkg/depcache.cc keeps it per package. */
export interface Pkg {
  name: string;
  /** Order of creation in apt's cache: a package is created when first read as a stanza or named by one. */
  id: number;
  /** Highest version first. */
  versions: Ver[];
  current?: Ver;
  candidate?: Ver;
  mode: Mode;
  installVer?: Ver;
  protect: boolean;
  /** Installed on the user's request (not automatically). */
  manual: boolean;
  essential: boolean;
  important: boolean;
  /** Versions (of any package) providing this name. */
  providers: readonly { ver: Ver; version?: string }[];
}

const NONE: readonly { ver: Ver; version?: string }[] = Object.freeze([]);

const groupsOf = (p: Package): DepGroup[] => [
  ...p.preDepends.map((alts) => ({ type: 'Pre-Depends' as const, alts })),
  ...p.depends.map((alts) => ({ type: 'Depends' as const, alts })),
  ...p.conflicts.flat().map((r) => ({ type: 'Conflicts' as const, alts: [r] })),
  ...p.breaks.flat().map((r) => ({ type: 'Breaks' as const, alts: [r] })),
  ...p.recommends.map((alts) => ({ type: 'Recommends' as const, alts })),
];

/**
 * The package cache apt builds from its sources and the dpkg status (apt-pkg/pkgcachegen.cc), reduced to one
 * architecture: packages by name in creation order, their versions with the priority of the files listing them, who
 * provides what, and each package's candidate as apt-pkg/policy.cc GetCandidateVer picks it.
 */
export class AptCache {
  readonly pkgs = new Map<string, Pkg>();
  /** Versions by source package name (MarkInstall_UpgradeOtherBinaries). */
  readonly bySource = new Map<string, Ver[]>();
  /** Creation order of every name apt would create a package for (most are only mentioned, and need no more). */
  private readonly ids = new Map<string, number>();

  constructor(files: IndexFile[], architecture: string, installed: Package[]) {
    const here = (p: Package) => p.architecture === architecture || p.architecture === 'all';
    for (const f of files) for (const p of f.packages) if (here(p)) this.add(p, f.priority, false);
    // The status is read after every source, with priority 100 for what is installed (policy.cc InitDefaults).
    for (const p of installed) if (here(p)) this.add(p, 100, true);
    // Lists grown by push keep room for more; exact copies take a tenth of the memory for the usual one version.
    for (const [name, list] of this.bySource) this.bySource.set(name, list.slice());
    for (const pkg of this.pkgs.values()) {
      pkg.versions = pkg.versions.sort((a, b) => compareDebianVersions(b.stanza.version, a.stanza.version)).slice();
      if (pkg.providers !== NONE) pkg.providers = pkg.providers.slice();
      pkg.candidate = candidateOf(pkg);
      pkg.installVer = pkg.current;
    }
  }

  private reverse?: Map<string, { ver: Ver; group: DepGroup; alt: Relation }[]>;

  /** Dependencies of installed versions on `name`, alternative by alternative (apt's RevDependsList, installed side). */
  reverseDepends(name: string): { ver: Ver; group: DepGroup; alt: Relation }[] {
    if (!this.reverse) {
      this.reverse = new Map();
      for (const p of this.pkgs.values()) {
        for (const group of p.current?.groups ?? []) {
          for (const alt of group.alts) {
            const list = this.reverse.get(alt.name) ?? [];
            list.push({ ver: p.current as Ver, group, alt });
            this.reverse.set(alt.name, list);
          }
        }
      }
    }
    return this.reverse.get(name) ?? [];
  }

  private id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(name, id);
    }
    return id;
  }

  pkg(name: string): Pkg {
    let p = this.pkgs.get(name);
    if (!p) {
      p = {
        name,
        id: this.id(name),
        versions: [],
        mode: 'keep',
        protect: false,
        manual: false,
        essential: false,
        important: false,
        providers: NONE,
      };
      this.pkgs.set(name, p);
    }
    return p;
  }

  /** Every package the stanza names is created in the order apt reads them: itself, its relations, then Provides. */
  private add(stanza: Package, priority: number, inStatus: boolean): void {
    const pkg = this.pkg(stanza.name);
    const same = pkg.versions.find((v) => v.stanza.version === stanza.version);
    if (same) {
      // One version listed by several files (or a source and the status): apt keeps one, with all its files.
      if (inStatus) {
        same.inStatus = true;
        pkg.current = same;
      } else same.priority = Math.max(same.priority, priority);
      return;
    }
    for (const n of relationNamesOf(stanza)) this.id(n);
    for (const n of relationNames(stanza.extra?.mentions)) this.id(n);
    const ver = new Ver(pkg, stanza, inStatus ? -1 : priority, inStatus);
    pkg.versions.push(ver);
    if (inStatus) pkg.current = ver;
    if (stanza.extra?.essential) pkg.essential = true;
    if (stanza.extra?.important) pkg.important = true;
    for (const pr of stanza.provides) {
      const target = this.pkg(pr.name);
      if (target.providers === NONE) target.providers = [];
      (target.providers as { ver: Ver; version?: string }[]).push({ ver, ...(pr.version ? { version: pr.version } : {}) });
    }
    const source = stanza.extra?.source ?? stanza.name;
    const list = this.bySource.get(source);
    if (list) list.push(ver);
    else this.bySource.set(source, [ver]);
  }
}

/** The pin priority of a version (policy.cc GetPriority): its files' highest, and 100 from the status for the installed one. */
export function priorityOf(ver: Ver): number {
  return ver.inStatus && ver.pkg.current === ver ? Math.max(ver.priority, 100) : ver.priority;
}

/**
 * apt-pkg/policy.cc GetCandidateVer: the first version, highest first, with the highest priority above 0; never one
 * lower than the installed version (no pin here reaches 1000).
 */
function candidateOf(pkg: Pkg): Ver | undefined {
  let cand: Ver | undefined;
  let best = -1;
  for (const ver of pkg.versions) {
    const prio = priorityOf(ver);
    if (prio <= 0 || prio <= best) continue;
    if (pkg.current && compareDebianVersions(ver.stanza.version, pkg.current.stanza.version) < 0) continue;
    best = prio;
    cand = ver;
  }
  return cand;
}

import { compareDebianVersions } from '../debian-version.js';
import { type IndexFile, type Package, relationNamesOf } from '../package-index.js';
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
  readonly providers: readonly { ver: Ver; version?: string }[];
}

const groupsOf = (p: Package): DepGroup[] => [
  ...p.preDepends.map((alts) => ({ type: 'Pre-Depends' as const, alts })),
  ...p.depends.map((alts) => ({ type: 'Depends' as const, alts })),
  ...p.conflicts.flat().map((r) => ({ type: 'Conflicts' as const, alts: [r] })),
  ...p.breaks.flat().map((r) => ({ type: 'Breaks' as const, alts: [r] })),
  ...p.recommends.map((alts) => ({ type: 'Recommends' as const, alts })),
];

interface Listed {
  stanza: Package;
  priority: number;
}

/**
 * The package cache apt builds from its sources and the dpkg status (apt-pkg/pkgcachegen.cc), reduced to one
 * architecture: packages by name in creation order, their versions with the priority of the files listing them, who
 * provides what, and each package's candidate as apt-pkg/policy.cc GetCandidateVer picks it. A package's record is
 * made the first time the resolver asks for it (and at once for what is installed): an archive has 65,000 packages
 * and a closure touches a few thousand, so records for all of them would cost more memory than the stanzas.
 */
export class AptCache {
  /** Creation order of every name apt would create a package for (most are only mentioned, and need no more). */
  private readonly ids = new Map<string, number>();
  /** Stanzas by package name, with the priority of the file that listed each. */
  private readonly listed = new Map<string, Listed | Listed[]>();
  private readonly installed = new Map<string, Package>();
  /** Stanzas providing a name. */
  private readonly provided = new Map<string, Package[]>();
  /** Binary package names by the source they are built from, where that is another name. */
  private readonly binaries = new Map<string, string[]>();
  private readonly made = new Map<string, Pkg | null>();

  constructor(files: IndexFile[], architecture: string, installed: Package[]) {
    const here = (p: Package) => p.architecture === architecture || p.architecture === 'all';
    for (const f of files) for (const p of f.packages) if (here(p)) this.add(p, f.priority);
    // The status is read after every source, with priority 100 for what is installed (policy.cc InitDefaults).
    for (const p of installed) if (here(p)) this.add(p, 100, true);
    for (const name of this.installed.keys()) this.get(name);
  }

  /** Every record made so far: every installed package, and whatever the resolver asked for. */
  records(): IterableIterator<Pkg> {
    return [...this.made.values()].filter((p): p is Pkg => p !== null).values();
  }

  /** The package of that name, if any source or the status lists it or something provides it. */
  get(name: string): Pkg | undefined {
    const had = this.made.get(name);
    if (had !== undefined) return had ?? undefined;
    const pkg = this.build(name);
    this.made.set(name, pkg ?? null);
    return pkg;
  }

  /** Versions of every package built from `source` (MarkInstall_UpgradeOtherBinaries). */
  bySource(source: string): Ver[] {
    const names = [source, ...(this.binaries.get(source) ?? [])];
    return names.flatMap((n) => (this.get(n)?.versions ?? []).filter((v) => (v.stanza.extra?.source ?? v.stanza.name) === source));
  }

  private reverse?: Map<string, { ver: Ver; group: DepGroup; alt: Relation }[]>;

  /** Dependencies of installed versions on `name`, alternative by alternative (apt's RevDependsList, installed side). */
  reverseDepends(name: string): { ver: Ver; group: DepGroup; alt: Relation }[] {
    if (!this.reverse) {
      this.reverse = new Map();
      for (const n of this.installed.keys()) {
        const current = this.get(n)?.current;
        for (const group of current?.groups ?? []) {
          for (const alt of group.alts) {
            const list = this.reverse.get(alt.name) ?? [];
            list.push({ ver: current as Ver, group, alt });
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

  /** Every name the stanza mentions gets its place in the order apt creates them: itself, its relations, then Provides. */
  private add(stanza: Package, priority: number, inStatus = false): void {
    this.id(stanza.name);
    for (const n of relationNamesOf(stanza)) this.id(n);
    for (const pr of stanza.provides) {
      this.id(pr.name);
      const list = this.provided.get(pr.name);
      if (list) list.push(stanza);
      else this.provided.set(pr.name, [stanza]);
    }
    if (inStatus) {
      this.installed.set(stanza.name, stanza);
      return;
    }
    const entry = { stanza, priority };
    const had = this.listed.get(stanza.name);
    this.listed.set(stanza.name, had === undefined ? entry : Array.isArray(had) ? [...had, entry] : [had, entry]);
    const source = stanza.extra?.source;
    if (source && source !== stanza.name) {
      const names = this.binaries.get(source);
      if (!names) this.binaries.set(source, [stanza.name]);
      else if (!names.includes(stanza.name)) names.push(stanza.name);
    }
  }

  private build(name: string): Pkg | undefined {
    const had = this.listed.get(name);
    const listed = had === undefined ? [] : Array.isArray(had) ? had : [had];
    const status = this.installed.get(name);
    if (listed.length === 0 && !status && !this.provided.has(name)) return undefined;
    const providersOf = () => this.providersOf(name);
    let providers: Pkg['providers'] | undefined;
    const pkg: Pkg = {
      name,
      id: this.id(name),
      versions: [],
      mode: 'keep',
      protect: false,
      manual: false,
      essential: false,
      important: false,
      get providers() {
        providers ??= providersOf();
        return providers;
      },
    };
    const versions: Ver[] = [];
    for (const { stanza, priority } of listed) {
      // One version listed by several files: apt keeps one, with all its files.
      const same = versions.find((v) => v.stanza.version === stanza.version);
      if (same) same.priority = Math.max(same.priority, priority);
      else versions.push(new Ver(pkg, stanza, priority, false));
    }
    if (status) {
      const same = versions.find((v) => v.stanza.version === status.version);
      if (same) same.inStatus = true;
      else versions.push(new Ver(pkg, status, -1, true));
      pkg.current = same ?? (versions[versions.length - 1] as Ver);
    }
    for (const v of versions) {
      const extra = v.stanza.extra;
      if (extra?.essential) pkg.essential = true;
      if (extra?.important) pkg.important = true;
    }
    pkg.versions = versions.sort((a, b) => compareDebianVersions(b.stanza.version, a.stanza.version));
    pkg.candidate = candidateOf(pkg);
    pkg.installVer = pkg.current;
    return pkg;
  }

  private providersOf(name: string): Pkg['providers'] {
    const out: { ver: Ver; version?: string }[] = [];
    for (const stanza of this.provided.get(name) ?? []) {
      const ver = this.get(stanza.name)?.versions.find((v) => v.stanza === stanza || v.stanza.version === stanza.version);
      const version = stanza.provides.find((p) => p.name === name)?.version;
      if (ver && !out.some((o) => o.ver === ver)) out.push({ ver, ...(version ? { version } : {}) });
    }
    return out;
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

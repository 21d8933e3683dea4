import { field, type Stanza } from './deb822.js';
import { compareDebianVersions } from './debian-version.js';
import { type Relation, type RelationField, parseRelations } from './relations.js';

/** A binary package as a Packages index (or dpkg status) describes it. */
export interface Package {
  name: string;
  version: string;
  architecture: string;
  multiArch?: string;
  depends: RelationField;
  preDepends: RelationField;
  recommends: RelationField;
  conflicts: RelationField;
  breaks: RelationField;
  /** Virtual packages this one provides, with the version a versioned Provides gives. */
  provides: Relation[];
  /**
   * What apt's resolver also weighs (apt-pkg/depcache.cc CompareProviders, MarkInstall_UpgradeOtherBinaries); optional
   * so a package written by hand in a test needs none of it.
   */
  extra?: PackageExtra;
  /** Packages-index fields (absent in dpkg status). */
  filename?: string;
  size?: number;
  sha256?: string;
  /** Where the index came from (`focal-updates main`), for messages and the lock. */
  origin?: string;
}

/** The fields of a stanza only apt's choices need. */
export interface PackageExtra {
  /** `Priority:` as apt ranks it: required 1, important 2, standard 3, optional 4, extra 5; absent 0 (apt-pkg/deb/deblistparser.cc). */
  priority: number;
  essential: boolean;
  /** `Important: yes` or `Protected: yes`. */
  important: boolean;
  /** The source package and its version (`Source: foo (1.2-1)`); the binary's own name and version when absent. */
  source: string;
  sourceVersion: string;
  /** `Phased-Update-Percentage:` (Ubuntu), when below 100. */
  phased?: number;
  /** Names in Suggests, Replaces and Enhances: apt creates a package for each as it reads them, which sets its cache order. */
  mentions: string[];
}

const PRIORITIES: Record<string, number> = { required: 1, important: 2, standard: 3, optional: 4, extra: 5 };

/** A relation field's package names only (cheap: for the cache order, never for matching). */
function relationNames(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const alt of value.split(/[,|]/)) {
    const m = /^\s*([a-z0-9][a-z0-9+.-]*)/i.exec(alt);
    if (m) out.push((m[1] as string).toLowerCase());
  }
  return out;
}

function extraOf(s: Stanza, name: string, version: string): PackageExtra {
  const yes = (f: string) => (field(s, f) ?? '').toLowerCase() === 'yes';
  const src = /^\s*(\S+)(?:\s*\(\s*([^)\s]+)\s*\))?/.exec(field(s, 'Source') ?? '');
  const prio = field(s, 'Priority');
  const phased = Number(field(s, 'Phased-Update-Percentage') ?? '100');
  return {
    ...(phased < 100 ? { phased } : {}),
    priority: prio === undefined ? 0 : (PRIORITIES[prio.toLowerCase()] ?? 5),
    // apt always counts itself essential and important (pkgCacheGen::ForceEssential's default).
    essential: yes('Essential') || name === 'apt',
    important: yes('Important') || yes('Protected') || name === 'apt',
    source: src?.[1] ?? name,
    sourceVersion: src?.[2] ?? version,
    mentions: [...relationNames(field(s, 'Suggests')), ...relationNames(field(s, 'Replaces')), ...relationNames(field(s, 'Enhances'))],
  };
}

/** Reads a Packages (or status) stanza. Throws naming the package when a relation field cannot be read. */
export function packageFromStanza(s: Stanza, origin?: string): Package | undefined {
  const name = field(s, 'Package');
  const version = field(s, 'Version');
  if (!name || !version) return undefined;
  const rel = (f: string) => {
    try {
      return parseRelations(field(s, f));
    } catch (err) {
      throw new Error(`${name} ${version}: ${f}: ${(err as Error).message}`);
    }
  };
  const size = field(s, 'Size');
  return {
    name,
    version,
    architecture: field(s, 'Architecture') ?? 'all',
    ...(field(s, 'Multi-Arch') ? { multiArch: field(s, 'Multi-Arch') as string } : {}),
    depends: rel('Depends'),
    preDepends: rel('Pre-Depends'),
    recommends: rel('Recommends'),
    conflicts: rel('Conflicts'),
    breaks: rel('Breaks'),
    provides: rel('Provides').flat(),
    extra: extraOf(s, name, version),
    ...(field(s, 'Filename') ? { filename: field(s, 'Filename') as string } : {}),
    ...(size !== undefined && /^\d+$/.test(size) ? { size: Number(size) } : {}),
    ...(field(s, 'SHA256') ? { sha256: (field(s, 'SHA256') as string).toLowerCase() } : {}),
    ...(origin ? { origin } : {}),
  };
}

/** One Packages index as the resolver sees it: its packages, and the apt pin priority its Release gives them. */
export interface IndexFile {
  packages: Package[];
  /**
   * 500 by default; 100 for a Release that says `NotAutomatic: yes` and `ButAutomaticUpgrades: yes` (backports);
   * 1 for `NotAutomatic: yes` alone (experimental), as apt-pkg/policy.cc InitDefaults gives them.
   */
  priority: number;
}

/**
 * Every version of every package across the configured suites, for one architecture (plus `all`). With several
 * suites the highest version is the candidate, as apt does with equal pins (500).
 */
export class PackageUniverse {
  private readonly byName = new Map<string, Package[]>();
  private readonly providers = new Map<string, Package[]>();

  constructor(
    packages: Package[],
    readonly architecture: string,
  ) {
    for (const p of packages) {
      if (p.architecture !== architecture && p.architecture !== 'all') continue;
      const list = this.byName.get(p.name) ?? [];
      if (!list.some((q) => q.version === p.version)) list.push(p);
      this.byName.set(p.name, list);
    }
    for (const list of this.byName.values()) list.sort((a, b) => compareDebianVersions(b.version, a.version));
    for (const list of this.byName.values()) {
      const candidate = list[0] as Package;
      for (const v of candidate.provides) {
        const ps = this.providers.get(v.name) ?? [];
        ps.push(candidate);
        this.providers.set(v.name, ps);
      }
    }
  }

  /** All versions, highest first. */
  versions(name: string): Package[] {
    return this.byName.get(name) ?? [];
  }

  candidate(name: string): Package | undefined {
    return this.byName.get(name)?.[0];
  }

  /** Candidates that provide `name`. */
  providersOf(name: string): Package[] {
    return this.providers.get(name) ?? [];
  }
}

import { field, type Stanza } from './deb822.js';
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
  /** Suggests, Replaces and Enhances as written: apt creates a package for each name as it reads them, which sets its cache order. */
  mentions?: string;
}

const PRIORITIES: Record<string, number> = { required: 1, important: 2, standard: 3, optional: 4, extra: 5 };

/** A relation field's package names only (cheap: for the cache order, never for matching). */
export function relationNames(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const alt of value.split(/[,|]/)) {
    const m = /^\s*([a-z0-9][a-z0-9+.-]*)/i.exec(alt);
    if (m) out.push((m[1] as string).toLowerCase());
  }
  return out;
}

function mentionsOf(s: Stanza): string {
  return ['Suggests', 'Replaces', 'Enhances']
    .map((f) => field(s, f))
    .filter((v) => v !== undefined && v.trim() !== '')
    .join(', ');
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
    source: src?.[1] && src[1] !== name ? own(src[1]) : name,
    sourceVersion: src?.[2] && src[2] !== version ? own(src[2]) : version,
  };
}

/**
 * A copy of a string that holds no reference to the text it was cut from. V8 keeps a long substring as a view of
 * its parent, so one kept Filename would keep a whole decompressed chunk of the index alive.
 */
const own = (v: string): string => (v.length < 13 ? v : Buffer.from(v, 'utf8').toString('utf8'));

/** One string for each of the few values a field such as Architecture or Multi-Arch takes, not one per stanza. */
const common = new Map<string, string>();
const intern = (v: string): string => {
  let c = common.get(v);
  if (c === undefined) {
    if (common.size > 1000) return own(v);
    c = own(v);
    common.set(c, c);
  }
  return c;
};

const NO_RELATIONS: RelationField = Object.freeze([]) as unknown as RelationField;
const NO_PROVIDES: Relation[] = Object.freeze([]) as unknown as Relation[];

const RELATION_FIELDS = ['Pre-Depends', 'Depends', 'Conflicts', 'Breaks', 'Recommends'] as const;

/**
 * A package read from a stanza, holding its relation fields as text until the resolver asks for them: an archive has
 * some 65,000 stanzas, and the closure visits a few hundred, so parsing all of them up front would cost most of the
 * memory of a resolve. A field that cannot be read throws when it is first read, naming the package.
 */
class StanzaPackage implements Package {
  readonly architecture: string;
  readonly provides: Relation[];
  multiArch?: string;
  filename?: string;
  size?: number;
  sha256?: string;
  origin?: string;
  /** Pre-Depends, Depends, Conflicts, Breaks, Recommends and the mentions, as written, in one string (NUL between). */
  private readonly text: string;
  private parsed?: (RelationField | undefined)[];
  /** Priority (bits 0-2), Essential (bit 3), Important (bit 4). */
  private readonly flags: number;
  private readonly source?: string;
  private readonly sourceVersion?: string;
  private readonly phased?: number;

  constructor(
    readonly name: string,
    readonly version: string,
    s: Stanza,
  ) {
    this.architecture = intern(field(s, 'Architecture') ?? 'all');
    const texts = RELATION_FIELDS.map((f) => field(s, f) ?? '');
    texts.push(mentionsOf(s));
    this.text = texts.every((t) => t === '') ? '' : texts.join('\0');
    const provides = field(s, 'Provides');
    this.provides = provides ? this.read('Provides', own(provides)).flat() : NO_PROVIDES;
    const e = extraOf(s, name, version);
    this.flags = e.priority | (e.essential ? 8 : 0) | (e.important ? 16 : 0);
    if (e.source !== name) this.source = e.source;
    if (e.sourceVersion !== version) this.sourceVersion = e.sourceVersion;
    if (e.phased !== undefined) this.phased = e.phased;
  }

  /** What apt's choices weigh (package-index.ts PackageExtra), assembled when asked: kept packed, as most are never asked. */
  get extra(): PackageExtra {
    const mentions = this.field(5);
    return {
      priority: this.flags & 7,
      essential: (this.flags & 8) !== 0,
      important: (this.flags & 16) !== 0,
      source: this.source ?? this.name,
      sourceVersion: this.sourceVersion ?? this.version,
      ...(this.phased !== undefined ? { phased: this.phased } : {}),
      ...(mentions ? { mentions } : {}),
    };
  }

  private field(i: number): string | undefined {
    const v = this.text === '' ? undefined : this.text.split('\0')[i];
    return v === undefined || v.trim() === '' ? undefined : v;
  }

  private read(f: string, text: string | undefined): RelationField {
    try {
      return parseRelations(text);
    } catch (err) {
      throw new Error(`${this.name} ${this.version}: ${f}: ${(err as Error).message}`);
    }
  }

  private relation(i: number): RelationField {
    const text = this.field(i);
    if (text === undefined) return NO_RELATIONS;
    this.parsed ??= [];
    let r = this.parsed[i];
    if (!r) {
      r = this.read(RELATION_FIELDS[i] as string, text);
      this.parsed[i] = r;
    }
    return r;
  }

  get preDepends(): RelationField {
    return this.relation(0);
  }
  get depends(): RelationField {
    return this.relation(1);
  }
  get conflicts(): RelationField {
    return this.relation(2);
  }
  get breaks(): RelationField {
    return this.relation(3);
  }
  get recommends(): RelationField {
    return this.relation(4);
  }

  /** The package names its relation fields mention, in apt's reading order (mentions last), without parsing them. */
  relationNames(): string[] {
    return this.text === '' ? [] : relationNames(this.text.replaceAll('\0', ','));
  }
}

/** Names in a package's Pre-Depends, Depends, Conflicts, Breaks, Recommends, then Suggests, Replaces, Enhances: apt's reading order. */
export function relationNamesOf(p: Package): string[] {
  if (p instanceof StanzaPackage) return p.relationNames();
  return [
    ...[p.preDepends, p.depends, p.conflicts, p.breaks, p.recommends].flatMap((f) => f.flat().map((r) => r.name)),
    ...relationNames(p.extra?.mentions),
  ];
}

/** Reads a Packages (or status) stanza. Its relation fields are read when first used (StanzaPackage). */
export function packageFromStanza(s: Stanza, origin?: string): Package | undefined {
  const name = field(s, 'Package');
  const version = field(s, 'Version');
  if (!name || !version) return undefined;
  const p = new StanzaPackage(own(name), own(version), s);
  const multiArch = field(s, 'Multi-Arch');
  if (multiArch) p.multiArch = intern(multiArch);
  const filename = field(s, 'Filename');
  if (filename) p.filename = own(filename);
  const size = field(s, 'Size');
  if (size !== undefined && /^\d+$/.test(size)) p.size = Number(size);
  const sha = field(s, 'SHA256');
  if (sha) p.sha256 = own(sha.toLowerCase());
  if (origin) p.origin = origin;
  return p;
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

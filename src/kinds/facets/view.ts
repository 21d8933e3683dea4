import type { BundleReader } from '../../bundle/reader.js';
import type { EventSink } from '../../core/events.js';
import type { Descriptor, ImageManifest } from '../../core/media-types.js';
import type { BundleCounts } from '../../lock/counts.js';
import type { Report } from '../../validate/gate-check.js';
import type { Rule } from '../../validate/grammar.js';
import type { NodeRegistry } from '../rke2/registry-config.js';
import type { ComponentsHook } from './components.js';

/** One index.json entry as `ferry bundle inspect` describes it (text and --json). */
export interface InspectedArtifact {
  /** A kind's own fields beyond these, as its view's describe gives them (left out when it has none). */
  [field: string]: unknown;
  /** The entry's kind annotation (`image`, `file`, `rke2`, `chart`, `apt`, `apt-meta`, `ferry`). */
  kind: string;
  /** Images: full reference. */
  ref?: string;
  /** Files: file name. */
  name?: string;
  digest: string;
  mediaType: string;
  /** Bytes of every blob the artifact uses (shared blobs count for each artifact). */
  size: number;
  platforms?: string[];
  upstreamDigest?: string;
  source?: string;
  /** RKE2 files: what the file is for (binary, images, image-list, checksums, install-script). */
  role?: string;
  /** Charts: the chart version. */
  version?: string;
  /** Charts: the upstream `.tgz`'s sha256 (`sha256:<hex>`, what index.yaml or the OCI manifest vouched for). */
  tgzSha256?: string;
  /** Charts: what vouched for that sha256, in the words of the audit report. */
  vouchedBy?: string;
  /** RKE2 image tarballs: the images inside. */
  images?: string[];
  /** ferry: the executable's sha256 (`sha256:<hex>`). */
  sha256?: string;
}

/** What inspect already knows of every entry, whatever its kind: its digest, media type and the bytes it uses. */
export type InspectBase = Pick<InspectedArtifact, 'digest' | 'mediaType' | 'size'>;

/** What `ferry bundle stage` gives every kind it asks to lay its entries out. */
export interface StageContext {
  /** `--dir`: each kind writes under its own directory in it (StageStep.dir). */
  root: string;
  events: EventSink;
  /** The enclave registry, for RKE2's registries.yaml and config.toml.tmpl (with a CA file to copy, if any). */
  registry?: NodeRegistry & { caFile?: string };
  /** Armoured OpenPGP private key that signs the staged apt repository. */
  aptSignKey?: string;
  /** Ctrl-C: stops the copy under way (its temporary file is removed) and every step after it. */
  signal?: AbortSignal;
}

/** How stage lays one kind's entries out where their consumers look. */
export interface StageStep<Staged, Locked = unknown> {
  /** The directory under --dir it writes (stage sweeps temporary files a killed earlier run left there). */
  readonly dir: string;
  /**
   * Where it comes in stage, and in stage's summary: the node artifacts (files, RKE2, charts, apt) in that order,
   * ferry's own executable last. Not index.json order (KINDS), which lists ferry before RKE2.
   */
  readonly order: number;
  /** The index.json entry kinds it copies out one by one: each is an item of the stage phase's progress. */
  readonly items: readonly string[];
  /** What the "nothing to stage" line says the bundle has none of; unnamed when left out of that line. */
  readonly noun?: string;
  /** Present in stage's result even when the bundle holds none (`files: []`), where the others are left out. */
  readonly always?: true;
  /** Lays the entries out under `root/dir`; undefined when the bundle has none (unless `always`). */
  run(reader: BundleReader, ctx: StageContext, locked: readonly Locked[]): Promise<Staged | undefined>;
  /** The lines the CLI prints for what was staged (`root` is --dir). */
  lines(staged: Staged, root: string): string[];
}

/**
 * What the index gate (validate/gate-index.ts) hands a kind to check its index.json entries against the lock: each
 * entry's names must be exactly the ones the lock gives that artifact, and its manifests must say the same.
 */
export interface EntryGate {
  readonly reader: BundleReader;
  readonly report: Report;
  /** Applies a grammar rule; false (and reported) when the value fails it. */
  check(artifact: string, field: string, value: unknown, rule: Rule): boolean;
  /** Reports `value` as not what the lock says (`expected`). */
  mismatch(artifact: string, field: string, value: unknown, expected: string): void;
  /** The entry's manifest read through its digest; undefined when the bundle does not hold it (a delta). */
  manifestOf(d: Descriptor, what: string): Promise<ImageManifest | undefined>;
  /** A JSON blob read through its digest; an unparseable one is reported, never thrown raw. */
  jsonOf<T>(d: Descriptor, what: string, parse?: (v: unknown) => T): Promise<T | undefined>;
  /** The common check of an entry that is one file named in the lock (file, RKE2 file, deb, ferry). */
  namedFile(d: Descriptor, file: NamedFile): Promise<void>;
}

/** One file artifact as the lock names it, for EntryGate.namedFile. */
export interface NamedFile {
  /** What the lock calls such a file, in "is not the name of a … in the lock". */
  noun: string;
  /** The lock's sha256 (hex) of the file the entry's title names; undefined when the lock names no such file. */
  sha256: string | undefined;
  /** Annotations of the entry to check before its manifest is read. */
  before?(what: string): void;
  /** Further checks of its manifest. */
  after?(m: ImageManifest, what: string): Promise<void>;
}

/**
 * The view facet of a kind (kinds/kind.ts): how inspect describes its index.json entries, what it adds to the
 * counts every summary speaks, and how stage lays it out (kinds with nothing for the nodes, images, have no step).
 */
export interface ViewFacet<Locked> {
  /** inspect: one entry of this kind (any of its entryKinds), described from index.json and its manifests. */
  describe(reader: BundleReader, desc: Descriptor, base: InspectBase): Promise<InspectedArtifact>;
  /**
   * What this kind adds to BundleCounts, from its lock entries (lockedOf). A field of its own (not one BundleCounts
   * names) is left out when zero, so the counts of a bundle without the kind keep their keys.
   */
  count(locked: readonly Locked[]): Partial<BundleCounts>;
  /** How its counts are said in a summary line (`3 images`), for those it has any of. */
  countWords(c: BundleCounts): Partial<Record<string, string>>;
  /**
   * Place of its counts in summary lines and in the counts' --json (lock/counts.ts): images, charts, files, RKE2
   * files, apt packages, ferry's version last; a later kind's after them. Not index.json order (KINDS).
   */
  readonly countOrder: number;
  /** Lines inspect's text adds under an entry of this kind, for what its describe gives beyond the common fields. */
  inspectLines?(a: InspectedArtifact): string[];
  /** The gate's check of one index.json entry of this kind, with what it needs of the lock looked up once. */
  gate(locked: readonly Locked[], g: EntryGate): (d: Descriptor) => Promise<void>;
  /** Images are not staged: push carries them to the registry, not to --dir. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly stage?: StageStep<any, Locked>;
  /**
   * The bundle's SBOM (src/sbom/): one component per index.json entry of this kind it knows from the lock. An entry
   * a kind gives none for (or of a kind without this hook) gets the SBOM module's plain OCI component, from the entry.
   */
  readonly components?: ComponentsHook<Locked>;
}

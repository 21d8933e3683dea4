import type { EventSink } from '../../core/events.js';
import type { Descriptor } from '../../core/media-types.js';
import type { ReadOnlyStorage } from '../../graph/storage.js';
import type { BundleManifest } from '../../manifest/types.js';
import type { RegistryClient } from '../../registry/client.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import type { ContentStore } from '../../store/content-store.js';

/**
 * The source facet of a kind (kinds/kind.ts): the connected side, `resolve` (pin) and `fetch` (bring bytes in).
 * The handler only carries a loader; the code behind it (and the HTTP stack it needs) is imported when pull asks.
 * Pull (src/pull/) loops over KINDS calling these; every type here is imported as a type only.
 */
export interface SourceFacet<Locked> {
  loadSource(): Promise<KindSource<Locked>>;
}

/** An entry one resolve brings in for another kind (a chart's images), queued by pull unless the manifest names it. */
export interface ImpliedEntry {
  /** The kind it is an entry of (`image`). */
  kind: string;
  entry: unknown;
  /** Where it came from, for a failure: `chart x 1.2 (values.yaml: a.image)`. */
  origin: string;
  /** How to change that, appended to a failure: `fix it with extraImages or drop it with excludeImages`. */
  hint?: string;
}

export interface Resolved<Locked> {
  locked: Locked;
  implies?: ImpliedEntry[];
}

/** What resolve read that fetch may reuse instead of asking again; filled while resolving, empty on a `--lock` pull. */
export interface ResolveCaches {
  /** Image manifests, by digest. */
  manifests: Map<string, Buffer>;
  /** Chart archives, by sha256 (hex). */
  chartArchives: Map<string, Buffer>;
  /** apt metadata (keyring, signed Releases, Packages indexes) by bundle path, per locked apt source. */
  aptFiles: Map<object, Map<string, Buffer>>;
}

/** What every resolve and fetch of a pull shares: one object, so a kind takes what it needs. */
export interface SourceContext {
  client: RegistryClient;
  http: HttpGetter;
  events: EventSink;
  signal?: AbortSignal;
  manifest: BundleManifest;
  /** `--with-ferry PATH`, over spec.ferry. */
  withFerry?: string;
  /** `--helm PATH`: the Helm that renders charts, over spec.helm.path and PATH (docs/charts.md "Rendering"). */
  helm?: string;
  caches: ResolveCaches;
}

export interface FetchContext extends SourceContext {
  store: ContentStore;
  /** The entry's place among its kind's lock entries (an apt source's metadata artifact is named by it). */
  position: number;
}

/**
 * One index.json entry, fully annotated, and where it sorts among its kind's: the bundle index lists kinds in KINDS
 * order, each kind's entries by `entryKinds` order, then by `sortKey` (the same lock gives the same bytes); entries
 * with equal keys keep the order fetch returned them in.
 */
export interface IndexEntry {
  descriptor: Descriptor;
  sortKey: string;
}

/** A pinned entry whose whole graph is known before its bytes (an image): pull copies it beside the bundle writer. */
export interface GraphPlan {
  /** For progress and messages: the image reference. */
  name: string;
  root: Descriptor;
  /** Where the graph's bytes come from (its manifests in memory, its blobs from the registry). */
  source: ReadOnlyStorage;
  /** Every node of the graph, root included. */
  nodes: Descriptor[];
  entries: IndexEntry[];
}

/**
 * When a kind resolves within pull's resolve step, stage by stage (each stage's entries together, under one limit):
 * - `local`: read from local files (ferry), before any download, and again on a `--lock` pull to check the lock;
 * - `first`: before everything fetched from registries (apt: its closure, read from the archive alone, fails or
 *   succeeds on its own, and its lines open the resolve log);
 * - `implying`: before the counted entries, since what it implies must be known when they are counted (charts);
 * - `counted`: the entries the resolve phase counts, every failure of them reported at once (images, files);
 * - `last`: after them (RKE2).
 */
export type ResolveStage = 'local' | 'first' | 'implying' | 'counted' | 'last';

/** What a kind adds to pull's result (pull/pull-bundle.ts PullResult): counts add up across kinds, lists join. */
export interface PullTally {
  images?: number;
  /** Files, RKE2 release files and .debs alike. */
  files?: number;
  /** `provenance`: what was checked of the chart's .prov (docs/charts.md "Provenance"), one line. */
  charts?: { name: string; version: string; images: { ref: string; sources: string[] }[]; provenance?: string }[];
  ferry?: { name: string; version: string; sha256: string };
  /** Carried signatures, attestations, SBOMs and other referrers of the images. */
  referrers?: number;
}

interface ResolveSide<Locked, Entry> {
  stage: ResolveStage;
  /** The kind's entries in this pull; absent: the manifest's `spec.<key>` (pull/kind-entries.ts). */
  entries?(manifest: BundleManifest, ctx: SourceContext): Promise<Entry[]>;
  /** One entry pinned (every kind but those with `resolveList`). */
  resolve?(entry: Entry, ctx: SourceContext): Promise<Resolved<Locked>>;
  /**
   * For a `lockList` kind (kinds/kind.ts), whose one entry pins any number of lock entries, none included (an
   * image's referrers): instead of `resolve`, the entry's lock entries, in any order (the lock sorts them).
   */
  resolveList?(entry: Entry, ctx: SourceContext): Promise<Locked[]>;
  /**
   * For a kind whose entries are resolved together, not one by one (apt: its sources make one package universe, as
   * apt reads several sources.list lines): the resolve stage calls this once with all the kind's entries of the
   * stage, in order, instead of `resolve` per entry, as one task under the pull's limit; it returns one result per
   * entry, in the same order. A failure is the whole call's, described by `describe` of each entry.
   */
  resolveAll?(entries: Entry[], ctx: SourceContext): Promise<Resolved<Locked>[]>;
  /** An entry in a failure list: what it is and the URL asked. */
  describe(entry: Entry, ctx: SourceContext): { what: string; url: string };
  /** The entry's identity, so an implied entry the manifest already names is left out (an image's reference). */
  key?(entry: Entry): string;
  /**
   * It emits one `resolved` event per entry, and the resolve phase announces how many to expect, counted as this
   * word (`images`): the progress line's `images 2/3`.
   */
  announces?: string;
  /** Lines said after its stage, per locked entry (`resolved chart …`). */
  report?(locked: Locked): string[];
  /** Its part of the resolve phase's detail (`2 images`), from the manifest's entries. */
  summary?(entries: Entry[]): string | undefined;
  /** A `local` kind on a `--lock` pull: the lock's entries must be what was read now. */
  checkLock?(locked: Locked[], now: Locked[], manifestPath: string): void;
  /** Its part of pull's result, from its locked entries. */
  tally(locked: Locked[]): PullTally;
}

/** Kinds fetched before the bundle is written: fetch brings the bytes into the content store. */
interface FetchSide<Locked> {
  fetch(locked: Locked, ctx: FetchContext): Promise<IndexEntry[]>;
  /** What fetch moves (digest and size, 0 when unknown), for the fetch phase's totals. */
  sizes(locked: Locked): { digest: string; size: number }[];
  plan?: never;
}

/** Kinds planned first and copied while the writer runs (images): blobs arrive in the order the writer takes them. */
interface PlanSide<Locked> {
  plan(locked: Locked, ctx: FetchContext): Promise<GraphPlan>;
  fetch?: never;
  sizes?: never;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KindSource<Locked = any, Entry = any> = ResolveSide<Locked, Entry> & (FetchSide<Locked> | PlanSide<Locked>);

import type { Descriptor } from '../../core/media-types.js';
import type { Problem, ProblemCode } from '../../core/problem.js';
import type { RegistryClient } from '../../registry/client.js';

/** Reads a bundle blob by hex digest; undefined when the bundle lacks it (its absence is reported elsewhere). */
export type Read = (hex: string) => Promise<Buffer | undefined>;
/** Whether the bundle holds the blob with bytes that hash to it. */
export type Intact = (hex: string) => boolean;
/**
 * Streams a bundle blob of any size by hex digest, its bytes checked against it as they pass (the stream fails at
 * its end when they do not hash to it); undefined when the bundle lacks it intact. For what is read through
 * rather than held (the apt chain's Packages indexes).
 */
export type ReadStream = (hex: string) => AsyncIterable<Buffer> | undefined;

/**
 * One thing the lock pins: what verify compares with index.json (verify/pin-check.ts), what the audit report gives
 * a row (report/audit-model.ts), and what a delta bundle takes the enclave to hold (delta/delta-base.ts).
 */
export interface Pin {
  /** How messages name it: `image docker.io/x/y:1`, `file a.txt`, `chart grafana 1.2.3`, `apt package x_1_amd64.deb`. */
  label: string;
  /** The value of its kind's `pinAnnotation` on its index.json entry (a file's title, an image's ref name). */
  entryName: string;
  /** Its index.json `org.opencontainers.image.ref.name` (bundle/format.ts), as push names what it pushes. */
  refName: string;
  /** Name and version as the audit report gives them. */
  name: string;
  version?: string;
  /** `sha256:<hex>` the lock pins. */
  digest: string;
  /**
   * true: the digest is the index.json entry's own (an image's root manifest or index). false: it is the content,
   * layer 0 of the entry's artifact manifest (docs/bundle-format.md "Artifacts").
   */
  isRoot: boolean;
  size?: number;
  /** Where it came from, for reports: a URL or an image reference. */
  source: string;
  /** What vouched for the digest, in words and as data (docs/audit-report.md). */
  vouchedBy: string;
  vouch: Record<string, unknown>;
  /** A chart's .prov, in words: who signed it, or that its signature was not checked (docs/charts.md "Provenance"). */
  provenance?: string;
}

/** The pins facet of a kind (kinds/kind.ts): each pinned thing of a lock entry, and the chains re-checked offline. */
export interface PinsFacet<Locked> {
  /** How messages name an index.json entry of this kind that the lock does not pin: `image`, `RKE2 file`, `apt package`. */
  readonly pinNoun: string;
  /** The index.json kind annotation of the entries its pins name (apt: `apt`; its `apt-meta` entries are chain). */
  readonly pinEntryKind: string;
  /** The annotation an entry carries `Pin.entryName` in: the ref name (images, charts) or the title (the rest). */
  readonly pinAnnotation: string;
  /** The problem code when index.json and its pins disagree; LOCK_MISMATCH when absent (apt: APT_CHAIN, its chain's). */
  readonly pinCode?: ProblemCode;
  /** Place of its rows among the audit report's kinds (docs/audit-report.md: images, charts, RKE2, files, apt, ferry). */
  readonly reportOrder: number;
  pins(locked: Locked): Pin[];
  /**
   * Chains re-checked offline beyond the pins (RKE2 checksum list and tarball contents, the apt signature chain,
   * ferry's SBOM layer). `entries` are the index.json entries of the kind's entryKinds. Optional: files, images and
   * charts have nothing vouching for them inside the bundle beyond the pin itself.
   */
  checkChain?(locked: readonly Locked[], entries: Descriptor[], read: Read, intact: Intact, stream?: ReadStream): Promise<Problem[]>;
  /**
   * Adds to `held` the digests an enclave holding this lock entry has beyond its content pins (which every kind
   * holds): an image's whole upstream graph, read from the registry; ferry's SBOM. For delta bundles
   * (docs/transfer.md). Optional: a kind whose only blobs are its content pins has nothing to add.
   */
  addHeld?(locked: Locked, held: Set<string>, client: RegistryClient): Promise<void>;
}

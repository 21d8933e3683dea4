import type { KeyObject } from 'node:crypto';
import type { EventSink } from '../core/events.js';
import type { PullTally } from '../kinds/facets/source.js';
import type { BundleCounts } from '../lock/counts.js';
import type { PlatformSpec } from '../manifest/types.js';
import type { RegistryClient } from '../registry/client.js';
import type { HttpGetter } from '../registry/http-getter-type.js';

/** What `ferry bundle pull` takes and gives back (pull-bundle.ts). */
export interface PullOptions {
  manifestPath: string;
  outPath: string;
  /** --lock: fetch exactly this lock instead of resolving tags again. */
  lockPath?: string;
  cacheDir: string;
  /** `--cache-images`: image blobs go into the cache too, as they are written to the bundle (docs/performance.md). */
  cacheImages?: boolean;
  client: RegistryClient;
  http: HttpGetter;
  /** Blob transfers in flight at once across the whole pull. */
  concurrency?: number;
  events?: EventSink;
  signal?: AbortSignal;
  /** Ed25519 private key: sign SHA256SUMS into the bundle and `<bundle>.sig` (docs/security.md). */
  signKey?: KeyObject;
  /** Write the bundle as parts of this many bytes (docs/transfer.md). */
  splitSize?: number;
  /** `--since`: a lock or registry inventory of what the enclave has; those blobs are left out (a delta bundle). */
  sincePath?: string;
  /** `--platform`: every image's platforms, over the manifest's (manifest/platform-override.ts). */
  platforms?: PlatformSpec;
  /** `--with-ferry PATH`: carry this ferry executable (over spec.ferry; docs/install.md "Carried in the bundle"). */
  withFerry?: string;
  /** `--helm PATH`: render charts with this Helm (over spec.helm.path and PATH; docs/charts.md "Rendering"). */
  helm?: string;
}

export interface PullResult {
  bundle: string;
  lockPath: string;
  bytes: number;
  /** What the bundle holds, by kind (the vocabulary every command's summary uses). */
  counts: BundleCounts;
  images: number;
  files: number;
  blobs: number;
  /** Blobs a delta bundle leaves out (the enclave has them). */
  omitted: number;
  /** Each chart with the images found in it and where (also in the lock). */
  charts: NonNullable<PullTally['charts']>;
  /** ferry's own executable, when carried (spec.ferry or --with-ferry). */
  ferry?: PullTally['ferry'];
  /** Signatures, attestations, SBOMs and other referrers carried with the images (left out when none). */
  referrers?: number;
}

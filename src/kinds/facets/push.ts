import type { BundleReader } from '../../bundle/reader.js';
import type { Descriptor } from '../../core/media-types.js';
import type { PushTarget } from '../../registry/push-target.js';

/** One image or artifact of a push plan as `ferry bundle push --dry-run` and `--json` show it. */
export interface PushItem {
  /** What is pushed, in the words of the summary: an image, a Helm chart, an OCI artifact. */
  kind: 'image' | 'chart' | 'artifact';
  /** The image's full upstream reference, as named in the bundle. */
  source: string;
  /** Repository in the target registry. */
  repository: string;
  /** Tag to set last; absent for digest-only references (pushed by digest). */
  tag?: string;
  root: Descriptor;
  /** Set when the image comes from inside a tarball in the bundle (that tarball's file name). */
  archive?: string;
}

/** A blob of an image inside a tarball, and the tarball member holding it. */
export interface TarballBlob {
  path: string;
  digest: Descriptor['digest'];
  size: number;
  mediaType: string;
}

/** The root is a graph in the bundle (manifest or index and everything under it), copied as it is. */
export interface GraphSource {
  readonly via: 'graph';
}

/**
 * The image lies inside a tarball in the bundle, whose members can only be read in order: its blobs are streamed
 * out of it, and the manifest ferry built for it (`body`, whose descriptor is the item's root) is put by digest.
 * Its blobs are listed so the push can decide, before reading the tarball, what to skip or mount.
 */
export interface TarballSource {
  readonly via: 'tarball';
  /** The tarball's file name and its blob in the bundle. */
  readonly tarball: { readonly name: string; readonly content: Descriptor };
  /** The manifest body; item.root is its descriptor. */
  readonly body: Buffer;
  /** Config and layers, the order the manifest names them. */
  readonly blobs: readonly TarballBlob[];
}

/** One image or artifact going to repository + tag, and where its bytes come from. */
export interface PushStep {
  readonly item: PushItem;
  /** Where the step comes from, in the words of messages (`spec.images`, `the RKE2 tarball`). */
  readonly from: string;
  /** The kind its progress events name (a chart and an image inside a tarball go up as `image`, like any image). */
  readonly progress: string;
  readonly how: GraphSource | TarballSource;
}

/**
 * The push facet of a kind (kinds/kind.ts): what `ferry bundle push` writes to a registry for one of its
 * index.json entries. Optional: files, ferry itself and apt packages are staged on nodes, not pushed to a registry.
 * A plan refuses (UNSAFE_VALUE) a repository or tag that would leave the target's prefix; name collisions across
 * kinds are the caller's (push/plan-push.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface PushFacet<Locked> {
  pushPlan?(desc: Descriptor, target: PushTarget, reader: BundleReader): Promise<PushStep[]>;
}

import type { BundleReader } from '../../bundle/reader.js';
import type { Digest } from '../../core/digest.js';
import type { EventSink } from '../../core/events.js';
import type { Descriptor } from '../../core/media-types.js';
import type { RegistryClient } from '../../registry/client.js';
import type { PushTarget } from '../../registry/push-target.js';

/** One image or artifact of a push plan as `ferry bundle push --dry-run` and `--json` show it. */
export interface PushItem {
  /**
   * What is pushed, in the words of the summary: an image, a Helm chart, an OCI artifact, or a carried referrer (a
   * cosign signature, attestation or SBOM tag, an OCI 1.1 referrer) of one of them.
   */
  kind: 'image' | 'chart' | 'artifact' | 'referrer';
  /** The image's full upstream reference, as named in the bundle (a referrer: its ref name, `repo:tag` or `repo@digest`). */
  source: string;
  /** Repository in the target registry. */
  repository: string;
  /** Tag to set last; absent for digest-only references (pushed by digest). */
  tag?: string;
  root: Descriptor;
  /** Set when the image comes from inside a tarball in the bundle (that tarball's file name). */
  archive?: string;
  /** A referrer: the digest of the manifest or index it refers to (its subject). */
  subject?: string;
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
  /**
   * The manifest this step's content refers to (a signature's image). Its tag is set after the tags of every step
   * that refers to nothing, so a tag naming an image's signature never appears before the image's own tag, and not
   * at all when that tag could not be set (the tag phase stops at its first failure).
   */
  readonly refersTo?: Digest;
  /** The kind that planned it (its `kind`), set by the plan (push/plan-push.ts): its finishPush gets the step. */
  readonly owner?: string;
}

/** One step of a kind's, as the push left it, for the kind's finishPush. */
export interface FinishedStep {
  readonly step: PushStep;
  /** Its tag already had its digest, and nothing was sent for it. */
  readonly upToDate: boolean;
  /**
   * The root manifest was PUT by this push (not found in the target already), and what the registry answered:
   * its `OCI-Subject` header, when it sent one (distribution-spec v1.1 "Pushing Manifests with Subject").
   */
  readonly put?: { readonly ociSubject?: string };
}

/** Something a kind's finishPush wrote (or found already written) beyond the steps' own tags. */
export interface PushedExtra {
  /** What it is, in words of the distribution spec (`referrers tag index`). */
  kind: string;
  /** `HOST/repository:tag`. */
  target: string;
  digest: string;
  /** It already held everything it had to hold: nothing was sent. */
  upToDate: boolean;
  /** The digests it was written for (the referrers a tag index lists). */
  for: string[];
}

/** What finishPush is given: the registry, and the bundle the steps came from. */
export interface PushFinish {
  readonly reader: BundleReader;
  readonly client: RegistryClient;
  readonly registry: string;
  readonly events: EventSink;
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
  /**
   * After the tag phase, once every step's graph and tag is in place (never when any failed): what the kind must
   * still write for its steps, given in plan order (the referrers tag index of an OCI 1.1 referrer the registry did
   * not index itself). Optional: most kinds are done when their tags are set.
   */
  finishPush?(steps: readonly FinishedStep[], ctx: PushFinish): Promise<PushedExtra[]>;
}

import type { PinsFacet } from './facets/pins.js';
import type { PushFacet } from './facets/push.js';
import type { SchemaFacet } from './facets/schema.js';
import type { SourceFacet } from './facets/source.js';
import type { ViewFacet } from './facets/view.js';

/**
 * The seam between the verbs and the artifact kinds (docs/architecture.md "Artifact kinds"). A kind is one value
 * that says everything the verbs need to know about it, in facets, each in its own file under facets/:
 * - schema: its `spec.<key>` entry, its `lock.<key>` entry, and how a lock still matches a manifest;
 * - pins: each pinned thing (ref name, digest, size, source, who vouched for it), and an optional chain check;
 * - view: how inspect describes its index.json entries, how stage lays them out, what the summaries count;
 * - push: what push writes to a registry for it;
 * - source: the connected side (resolve = pin, fetch = bring bytes in), loaded lazily, only by pull.
 * The verbs loop over KINDS (kinds/index.ts); none of them names a kind.
 */
export interface KindBase<Name extends string = string, Key extends string = string> {
  /** The kind's name: the `org.ferry.kind`-style annotation of its index.json entries, and its name in reports. */
  readonly kind: Name;
  /** `spec.<key>` in the manifest and `<key>` in the lock. */
  readonly key: Key;
  /** `list`: the lock holds an array; `single`: one value or none. */
  readonly cardinality: 'list' | 'single';
  /**
   * A `single` kind whose lock key is nonetheless a list (the referrer kind: `spec.referrers` is one mode, and
   * `lock.referrers` one entry per carried referrer). Absent: the lock follows `cardinality`.
   */
  readonly lockList?: true;
  /** Every index.json kind annotation its entries carry (apt: `apt` and `apt-meta`). */
  readonly entryKinds: readonly string[];
}

export interface KindHandler<Locked = unknown, Name extends string = string, Key extends string = string>
  extends KindBase<Name, Key>, SchemaFacet<Locked>, PinsFacet<Locked>, ViewFacet<Locked>, PushFacet<Locked>, SourceFacet<Locked> {}

/** Any kind, whatever its lock entry type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = KindHandler<any>;

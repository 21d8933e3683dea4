import type { KINDS } from '../kinds/index.js';
import type { PlatformSpec } from './fields.js';
import type { HelmSetting } from '../kinds/chart/render/helm-setting.js';
import type { SignatureRule } from '../trust/cosign/policy.js';

/** The validated bundle manifest (docs/manifest.md): each kind's normalised entries (kinds/<kind>/schema.ts). */
export type { PlatformSpec } from './fields.js';
export type { ImageEntry } from '../kinds/image/schema.js';
export type { FileEntry } from '../kinds/file/schema.js';
export type { FerryEntry } from '../kinds/ferry/schema.js';
export type { Rke2Entry } from '../kinds/rke2/schema.js';
export type { ChartEntry } from '../kinds/chart/schema.js';
export type { AptEntry } from '../kinds/apt/schema.js';
export type { ReferrerMode } from '../kinds/referrer/roles.js';

type AnyKindOf = (typeof KINDS)[number];
type EntryOf<K extends AnyKindOf> = ReturnType<K['normalise']>[number];

/** A `list` kind's entries (an empty list when none). */
type ListEntries = { [K in AnyKindOf as K['cardinality'] extends 'list' ? K['key'] : never]: EntryOf<K>[] };
/** A `single` kind's entry, or nothing. */
type SingleEntry = { [K in AnyKindOf as K['cardinality'] extends 'single' ? K['key'] : never]?: EntryOf<K> };

interface ManifestHead {
  path: string;
  name: string;
  platforms: PlatformSpec;
  /** spec.helm: how charts are rendered (docs/charts.md "Rendering"). */
  helm?: HelmSetting;
  /** spec.signatures: which images must be signed, by what (docs/supply-chain.md "Signature policy"). */
  signatures?: SignatureRule[];
}

/** One key per kind. An interface so that its members resolve lazily (see Lock in lock/types.ts). */
export interface BundleManifest extends ManifestHead, ListEntries, SingleEntry {}

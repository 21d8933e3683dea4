import type { Descriptor } from '../core/media-types.js';
import { Annotation } from '../core/media-types.js';
import type { Lock } from '../lock/types.js';
import { aptKind } from './apt/handler.js';
import { artifactKind } from './artifact/handler.js';
import { chartKind } from './chart/handler.js';
import { ferryKind } from './ferry/handler.js';
import { fileKind } from './file/handler.js';
import { imageKind } from './image/handler.js';
import type { AnyKind, KindHandler } from './kind.js';
import { referrerKind } from './referrer/handler.js';
import { rke2Kind } from './rke2/handler.js';

/**
 * Every artifact kind, in the order the bundle's index.json lists their entries (images, files, ferry, RKE2,
 * charts, apt, raw OCI artifacts, carried referrers). A static list, not a plug-in loader: adding a kind is one folder and one line
 * here, at the end, so that bundles without the new kind keep their bytes (docs/architecture.md "How to add a kind").
 */
export const KINDS = [imageKind, fileKind, ferryKind, rke2Kind, chartKind, aptKind, artifactKind, referrerKind] as const;

export type Kind = (typeof KINDS)[number];
export type KindName = Kind['kind'];

/** The lock's entries of one kind, as a list whatever the kind's cardinality (an absent key is an empty list). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lockedOf<K extends AnyKind>(lock: Lock, kind: K): K extends KindHandler<infer L, any, any> ? L[] : never {
  const v = (lock as unknown as Record<string, unknown>)[kind.key];
  return (v === undefined ? [] : Array.isArray(v) ? v : [v]) as never;
}

/** The kind an index.json entry belongs to, by its kind annotation; undefined for an entry of no known kind. */
export function kindOfEntry(desc: Descriptor): Kind | undefined {
  const name = desc.annotations?.[Annotation.Kind];
  return KINDS.find((k) => (k.entryKinds as readonly string[]).includes(name ?? ''));
}

import type { z } from 'zod';
import type { KINDS } from '../kinds/index.js';

/**
 * The lock's types, derived from the zod schemas that read it back (lock-schema.ts, composed from each kind's
 * lock schema in kinds/<kind>/schema.ts), so the two cannot drift apart.
 */
export type { VouchedBy } from './fields.js';
export type { LockedImage } from '../kinds/image/schema.js';
export type { LockedFile } from '../kinds/file/schema.js';
export type { LockedFerry } from '../kinds/ferry/schema.js';
export type { LockedRke2, LockedRke2File, Rke2Role } from '../kinds/rke2/schema.js';
export type { ChartImage, ChartVouchedBy, LockedChart } from '../kinds/chart/schema.js';
export type { LockedAptSource, LockedDeb, LockedRelease } from '../kinds/apt/schema.js';
export type { LockedReferrer } from '../kinds/referrer/schema.js';

type AnyKindOf = (typeof KINDS)[number];
type LockedOf<K extends AnyKindOf> = z.output<K['lockedSchema']>;
type IsAlways<K> = K extends { readonly always: true } ? true : false;
type IsLockList<K> = K extends { readonly lockList: true } ? true : false;

/** The keys of the kinds the lock always carries (images, files), as lists. */
type AlwaysLocked = { [K in AnyKindOf as IsAlways<K> extends true ? K['key'] : never]: LockedOf<K>[] };
/** The other kinds' keys: absent when there is nothing of the kind, else its entry (`single`) or a list of them. */
type OptionalLocked = {
  [K in AnyKindOf as IsAlways<K> extends true ? never : K['key']]?: K['cardinality'] extends 'single'
    ? IsLockList<K> extends true
      ? LockedOf<K>[]
      : LockedOf<K>
    : LockedOf<K>[];
};

interface LockHead {
  lockVersion: 1;
  bundle: { name: string };
}

/**
 * ferry.lock.json, version 1 (docs/manifest.md "The lock file"): one key per kind. An interface, not a type alias:
 * its members are resolved only when used, so a facet whose signature names Lock does not make KINDS's type (which
 * the members come from) depend on itself.
 */
export interface Lock extends LockHead, AlwaysLocked, OptionalLocked {}

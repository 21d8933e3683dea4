import type { FerryError } from '../core/errors.js';
import type { Readable } from 'node:stream';
import type { Descriptor } from '../core/media-types.js';

/**
 * Tiny interfaces, combined (after oras-go's content.Storage): every place content lives — an upstream registry,
 * the local cache, a bundle file, the enclave registry — implements the ones it can.
 */

/** Somewhere content can be read from. `fetch` returns raw bytes; callers verify them (see VerifyingStream). */
export interface ReadOnlyStorage {
  fetch(desc: Descriptor): Promise<Readable>;
  exists(desc: Descriptor): Promise<boolean>;
  /** How this source reports a manifest it holds that cannot be parsed (src/graph/successors.ts); optional. */
  malformedManifest?(desc: Descriptor, problem: string): FerryError;
}

/** Somewhere content can be written. `push` must not commit bytes that do not match `desc` (digest and size). */
export interface Storage extends ReadOnlyStorage {
  push(desc: Descriptor, content: Readable): Promise<void>;
}

/** Optional: name a manifest already stored. */
export interface Tagger {
  tag(desc: Descriptor, tag: string): Promise<void>;
}

/** Optional: make a blob that exists elsewhere in the same registry appear here without re-uploading it. */
export interface Mounter {
  /** Returns true when mounted; false when the registry declined (caller then uploads). */
  mount(desc: Descriptor, fromRepository: string): Promise<boolean>;
}

/** Optional: a source that can start a blob part-way (HTTP Range), so interrupted downloads resume. */
export interface RangeSource {
  fetchAt(desc: Descriptor, offset: number): Promise<Readable>;
}

/** Optional: a target that keeps partial blobs and asks only for the missing tail (the local cache). */
export interface ResumableTarget {
  pushResumable(desc: Descriptor, openAt: (offset: number) => Promise<Readable>, subject: string): Promise<unknown>;
}

export function isRangeSource(x: unknown): x is RangeSource {
  return typeof (x as RangeSource | null)?.fetchAt === 'function';
}

export function isResumableTarget(x: unknown): x is ResumableTarget {
  return typeof (x as ResumableTarget | null)?.pushResumable === 'function';
}

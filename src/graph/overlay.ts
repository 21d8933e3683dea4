import { Readable } from 'node:stream';
import type { Descriptor } from '../core/media-types.js';
import { readAll } from '../core/streams.js';
import { type RangeSource, type ReadOnlyStorage, isRangeSource } from './storage.js';
import { isManifestLike } from './successors.js';

/**
 * A source with manifests held in memory: the rewritten multi-platform index ferry builds (it exists nowhere
 * upstream), and every manifest read once already — a pull walks an image's manifests to plan the bundle, then
 * copies it, and the second pass should not fetch them again. Blobs always come from the base source.
 */
export class OverlaySource implements ReadOnlyStorage, RangeSource {
  private readonly manifests: Map<string, Buffer>;

  constructor(
    private readonly base: ReadOnlyStorage,
    extra: ReadonlyMap<string, Buffer> = new Map(),
  ) {
    this.manifests = new Map(extra);
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.manifests.has(desc.digest) || this.base.exists(desc);
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    const held = this.manifests.get(desc.digest);
    if (held) return Readable.from([held]);
    if (!isManifestLike(desc)) return this.base.fetch(desc);
    // Small by definition (the registry client caps manifests at 4 MiB); the reader verifies the digest.
    const body = await readAll(await this.base.fetch(desc));
    this.manifests.set(desc.digest, body);
    return Readable.from([body]);
  }

  async fetchAt(desc: Descriptor, offset: number): Promise<Readable> {
    if (offset === 0 || this.manifests.has(desc.digest)) {
      const whole = await this.fetch(desc);
      return offset === 0 ? whole : Readable.from([(await readAll(whole)).subarray(offset)]);
    }
    if (isRangeSource(this.base)) return this.base.fetchAt(desc, offset);
    throw new Error(`source cannot resume ${desc.digest} at offset ${offset}`);
  }
}

/** Reads from `local` what it has (the verified cache), the rest from `remote`. */
export class PreferLocal implements ReadOnlyStorage {
  constructor(
    private readonly local: ReadOnlyStorage,
    private readonly remote: ReadOnlyStorage,
  ) {}

  async exists(desc: Descriptor): Promise<boolean> {
    return (await this.local.exists(desc)) || this.remote.exists(desc);
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    return (await this.local.exists(desc)) ? this.local.fetch(desc) : this.remote.fetch(desc);
  }
}

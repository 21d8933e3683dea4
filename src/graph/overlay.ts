import { Readable } from 'node:stream';
import type { Descriptor } from '../core/media-types.js';
import { type RangeSource, type ReadOnlyStorage, isRangeSource } from './storage.js';

/**
 * A source with a few extra nodes held in memory: the rewritten multi-platform index ferry builds exists nowhere
 * upstream, but the graph copy should see it as just another manifest whose children live in the registry.
 */
export class OverlaySource implements ReadOnlyStorage, RangeSource {
  constructor(
    private readonly base: ReadOnlyStorage,
    private readonly extra: ReadonlyMap<string, Buffer>,
  ) {}

  async exists(desc: Descriptor): Promise<boolean> {
    return this.extra.has(desc.digest) || this.base.exists(desc);
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    const body = this.extra.get(desc.digest);
    return body ? Readable.from([body]) : this.base.fetch(desc);
  }

  async fetchAt(desc: Descriptor, offset: number): Promise<Readable> {
    const body = this.extra.get(desc.digest);
    if (body) return Readable.from([body.subarray(offset)]);
    if (isRangeSource(this.base)) return this.base.fetchAt(desc, offset);
    if (offset === 0) return this.base.fetch(desc);
    throw new Error(`source cannot resume ${desc.digest} at offset ${offset}`);
  }
}

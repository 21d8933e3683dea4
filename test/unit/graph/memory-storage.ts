import { Readable } from 'node:stream';
import type { Descriptor } from '../../../src/core/media-types.js';
import type { Storage } from '../../../src/graph/storage.js';

/** An in-memory Storage for unit tests of the graph walk (real registries are exercised in integration tests). */
export class MemoryStorage implements Storage {
  readonly blobs = new Map<string, Buffer>();
  readonly pushes: string[] = [];
  readonly fetches: string[] = [];

  add(body: Buffer, digest: string): void {
    this.blobs.set(digest, body);
  }
  async exists(desc: Descriptor): Promise<boolean> {
    return this.blobs.has(desc.digest);
  }
  async fetch(desc: Descriptor): Promise<Readable> {
    this.fetches.push(desc.digest);
    const b = this.blobs.get(desc.digest);
    if (!b) throw new Error(`missing ${desc.digest}`);
    return Readable.from([b]);
  }
  async push(desc: Descriptor, content: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of content) chunks.push(c as Buffer);
    this.blobs.set(desc.digest, Buffer.concat(chunks));
    this.pushes.push(desc.digest);
  }
}

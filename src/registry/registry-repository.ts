import { Readable } from 'node:stream';
import type { Digest } from '../core/digest.js';
import type { Descriptor } from '../core/media-types.js';
import { readAll } from '../core/streams.js';
import type { Mounter, RangeSource, Storage, Tagger } from '../graph/storage.js';
import { isManifestLike } from '../graph/successors.js';
import type { RegistryClient } from './client.js';
import type { PutManifest } from './wire.js';

/** One repository of a registry, seen through the storage interfaces the graph copy speaks. */
export class RegistryRepository implements Storage, Tagger, Mounter, RangeSource {
  /** Bodies of manifests seen here, so tag() can PUT them without fetching them back. */
  private readonly manifests = new Map<string, Buffer>();
  /** Manifests this object PUT by digest, with what the registry answered (its `OCI-Subject` header). */
  readonly put = new Map<string, PutManifest>();

  constructor(
    readonly client: RegistryClient,
    readonly registry: string,
    readonly repository: string,
  ) {}

  async exists(desc: Descriptor): Promise<boolean> {
    if (isManifestLike(desc)) return (await this.client.headManifest(this.registry, this.repository, desc.digest)) !== undefined;
    return this.client.blobExists(this.registry, this.repository, desc.digest as Digest);
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    if (!isManifestLike(desc)) return this.client.fetchBlob(this.registry, this.repository, desc);
    const { body } = await this.client.getManifest(this.registry, this.repository, desc.digest);
    this.manifests.set(desc.digest, body);
    return Readable.from([body]);
  }

  async fetchAt(desc: Descriptor, offset: number): Promise<Readable> {
    if (isManifestLike(desc)) return Readable.from([(await readAll(await this.fetch(desc))).subarray(offset)]);
    return this.client.fetchBlob(this.registry, this.repository, desc, { offset });
  }

  async push(desc: Descriptor, content: Readable): Promise<void> {
    if (!isManifestLike(desc)) return this.client.pushBlob(this.registry, this.repository, desc, content);
    const body = await readAll(content);
    this.put.set(desc.digest, await this.client.putManifest(this.registry, this.repository, desc.digest, desc.mediaType, body));
    this.manifests.set(desc.digest, body);
  }

  async tag(desc: Descriptor, tag: string): Promise<void> {
    let body = this.manifests.get(desc.digest);
    if (!body) body = (await this.client.getManifest(this.registry, this.repository, desc.digest)).body;
    await this.client.putManifest(this.registry, this.repository, tag, desc.mediaType, body);
  }

  mount(desc: Descriptor, fromRepository: string): Promise<boolean> {
    return this.client.mountBlob(this.registry, this.repository, desc.digest as Digest, fromRepository);
  }
}

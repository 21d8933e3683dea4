import type { Readable } from 'node:stream';
import type { EventSink } from '../core/events.js';
import type { Descriptor } from '../core/media-types.js';
import type { Storage } from '../graph/storage.js';
import { isManifestLike } from '../graph/successors.js';
import type { RegistryRepository } from '../registry/registry-repository.js';

/**
 * Remembers, per registry, which repository each blob went to. Shared by every repository target of one push, so
 * a base layer used by twenty images is uploaded once and mounted into the other nineteen repositories
 * (distribution-spec spec.md, "Mounting a blob from another repository").
 */
export class BlobLedger {
  private readonly where = new Map<string, Promise<string | undefined>>();

  /** Resolves to a repository holding the blob, or undefined when none does (yet). */
  locate(digest: string): Promise<string | undefined> | undefined {
    return this.where.get(digest);
  }

  /** Records a repository found to hold a blob (an image already up to date), unless one is known or claimed. */
  record(digest: string, repo: string): void {
    if (!this.where.has(digest)) this.where.set(digest, Promise.resolve(repo));
  }

  /** Claims the upload of a blob; the returned function settles the claim with the repository or a failure. */
  claim(digest: string): (repo: string | undefined) => void {
    let settle!: (repo: string | undefined) => void;
    this.where.set(digest, new Promise((r) => (settle = r)));
    return (repo) => {
      if (repo === undefined) this.where.delete(digest);
      settle(repo);
    };
  }
}

/**
 * A repository in the target registry that mounts blobs another repository of the same push already has.
 * The mount happens in exists(): the graph copy asks before it opens the source, so a mounted blob is never read
 * from the bundle at all.
 */
export class MountingTarget implements Storage {
  constructor(
    private readonly repo: RegistryRepository,
    private readonly repository: string,
    private readonly ledger: BlobLedger,
    private readonly events: EventSink,
  ) {}

  private readonly claims = new Map<string, (repo: string | undefined) => void>();

  async exists(desc: Descriptor): Promise<boolean> {
    if (isManifestLike(desc)) return this.repo.exists(desc);
    const pending = this.ledger.locate(desc.digest);
    if (pending) {
      const from = await pending;
      // A mount of a blob this repository already has also answers 201, so no HEAD is needed first.
      if (from === this.repository) return true;
      if (from !== undefined && (await this.repo.mount(desc, from))) {
        this.events({ type: 'blob', action: 'mounted', digest: desc.digest, size: desc.size, repo: this.repository });
        return true;
      }
    }
    // Claim the blob before looking, so a second repository needing it waits for this upload and mounts it
    // instead of uploading it again. push() settles the claim; if the copy fails before push(), the whole push
    // has failed anyway.
    const settle = this.ledger.claim(desc.digest);
    if (await this.repo.exists(desc).catch((err) => (settle(undefined), Promise.reject(err)))) {
      settle(this.repository);
      return true;
    }
    this.claims.set(desc.digest, settle);
    return false;
  }

  fetch(desc: Descriptor): Promise<Readable> {
    return this.repo.fetch(desc);
  }

  async push(desc: Descriptor, content: Readable): Promise<void> {
    if (isManifestLike(desc)) return this.repo.push(desc, content);
    const settle = this.claims.get(desc.digest) ?? this.ledger.claim(desc.digest);
    this.claims.delete(desc.digest);
    try {
      await this.repo.push(desc, content);
      settle(this.repository);
      this.events({ type: 'blob', action: 'uploaded', digest: desc.digest, size: desc.size, repo: this.repository });
    } catch (err) {
      settle(undefined);
      throw err;
    }
  }
}

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BundleReader } from '../../bundle/reader.js';
import { VerifyingStream } from '../../core/digest.js';
import type { Digest } from '../../core/digest.js';
import { FerryError, INTEGRITY_CODES, isFerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { counted } from '../../core/streams.js';
import { walkArchive } from '../../docker-archive/archive-entries.js';
import { decompressed } from '../../docker-archive/decompress.js';
import type { TocBlob } from '../../docker-archive/image-toc.js';
import type { RegistryClient } from '../../registry/client.js';
import type { ArchivePlan, ArchivePushItem } from './archive-plan.js';

/** Blob → the repositories that still lack it. */
type Missing = Map<Digest, { blob: TocBlob; repos: Set<string> }>;

const PASSES = 3;

/**
 * Pushes the images of one RKE2 image tarball: every blob and manifest, never a tag (the caller tags once every
 * image of the whole push is complete). The tarball is compressed and its members can only be reached in order, so
 * blobs are gathered first: what the registry has is skipped, what another repository has is mounted, and the rest
 * is uploaded in one streaming pass over the tarball (decompressed in memory, each member verified as it goes up).
 * A pass cut short by a transient failure is run again for what is still missing.
 */
export async function pushArchiveImages(
  reader: BundleReader,
  plan: ArchivePlan,
  items: ArchivePushItem[],
  client: RegistryClient,
  registry: string,
  events: EventSink,
  /** Repositories known to hold a blob already (those of images found up to date): mount sources. */
  holders: ReadonlyMap<string, string[]> = new Map(),
): Promise<void> {
  const missing: Missing = new Map();
  for (const item of items) {
    for (const blob of [item.image.config, ...item.image.layers]) {
      const m = missing.get(blob.digest) ?? { blob, repos: new Set<string>() };
      m.repos.add(item.repository);
      missing.set(blob.digest, m);
    }
  }
  await dropPresent(missing, client, registry, events, holders);
  for (let pass = 1; missing.size > 0; pass++) {
    try {
      await uploadPass(reader, plan, missing, client, registry, events);
    } catch (err) {
      if (pass >= PASSES || (isFerryError(err) && (INTEGRITY_CODES.has(err.code) || err.code === 'AUTH_FAILED'))) throw err;
      events({ type: 'warning', message: `${plan.name}: upload pass ${pass} failed (${(err as Error).message}); starting again for what is missing` });
    }
    await dropPresent(missing, client, registry, events);
  }
  for (const item of items) {
    await client.putManifest(registry, item.repository, item.manifest.descriptor.digest, item.manifest.descriptor.mediaType, item.manifest.body);
  }
}

/** Forgets what each repository already has, and mounts a blob from a repository that has it into those that lack it. */
async function dropPresent(missing: Missing, client: RegistryClient, registry: string, events: EventSink, holders: ReadonlyMap<string, string[]> = new Map()): Promise<void> {
  for (const [digest, m] of missing) {
    let holder: string | undefined = holders.get(digest)?.find((r) => !m.repos.has(r));
    for (const repo of [...m.repos]) {
      if (await client.blobExists(registry, repo, digest)) {
        m.repos.delete(repo);
        holder = repo;
        events({ type: 'blob', action: 'exists', digest, size: m.blob.size, repo });
      }
    }
    if (holder !== undefined) {
      for (const repo of [...m.repos]) {
        if (await client.mountBlob(registry, repo, digest, holder)) {
          m.repos.delete(repo);
          events({ type: 'blob', action: 'mounted', digest, size: m.blob.size, repo });
        }
      }
    }
    if (m.repos.size === 0) missing.delete(digest);
  }
}

/** One front-to-back read of the tarball, uploading each missing member to the first repository lacking it. */
async function uploadPass(reader: BundleReader, plan: ArchivePlan, missing: Missing, client: RegistryClient, registry: string, events: EventSink): Promise<void> {
  const byPath = new Map([...missing.values()].map((m) => [m.blob.path, m]));
  const { stream } = await decompressed(await reader.fetch(plan.content));
  await walkArchive(stream, {
    wants: (path) => byPath.has(path),
    read: async (entry) => {
      const m = byPath.get(entry.path);
      const repo = m ? [...m.repos][0] : undefined;
      if (!m || repo === undefined) return;
      const { blob } = m;
      if (entry.size !== blob.size) {
        throw new FerryError('SIZE_MISMATCH', `${plan.name} member ${entry.path}: ${entry.size} bytes, the table of contents says ${blob.size}`, { file: plan.name });
      }
      const verify = new VerifyingStream({ digest: blob.digest, size: blob.size, subject: `${plan.name} member ${entry.path}` });
      let broken: unknown;
      const feeding = pipeline(Readable.from(entry.body), verify).catch((err: unknown) => (broken = err));
      try {
        await client.pushBlob(registry, repo, { mediaType: blob.mediaType, digest: blob.digest, size: blob.size }, counted(verify, events));
      } catch (err) {
        verify.destroy();
        await feeding;
        throw isFerryError(broken) ? broken : err; // a digest mismatch says more than the aborted upload it caused
      }
      await feeding;
      if (broken) throw broken;
      m.repos.delete(repo);
      events({ type: 'blob', action: 'uploaded', digest: blob.digest, size: blob.size, repo });
    },
  });
}

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BundleReader } from '../bundle/reader.js';
import { VerifyingStream } from '../core/digest.js';
import type { Digest } from '../core/digest.js';
import { FerryError, isFerryError, isTransient } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { counted } from '../core/streams.js';
import type { PushStep, TarballBlob, TarballSource } from '../kinds/facets/push.js';
import type { RegistryClient } from '../registry/client.js';
import type { BlobLedger } from './mounting-target.js';

/** Blob → the repositories that still lack it, and this push's claim on its upload while one is pending. */
type Missing = Map<Digest, { blob: TarballBlob; repos: Set<string>; settle?: (repo: string | undefined) => void }>;

interface Context {
  client: RegistryClient;
  registry: string;
  events: EventSink;
  ledger: BlobLedger;
}

const PASSES = 3;

/**
 * Pushes the images of one tarball in the bundle: every blob and manifest, never a tag (the caller tags once every
 * image of the whole push is complete). The tarball is compressed and its members can only be reached in order, so
 * blobs are decided first, through the same ledger as the graph copies (push/mounting-target.ts): a blob another
 * repository of this push has (uploaded earlier in the run, or found there) is mounted, one the registry has is
 * skipped, and the rest is uploaded once, in one streaming pass over the tarball (decompressed in memory, each
 * member verified as it goes up), then mounted into the other repositories needing it. A pass cut short by a
 * transient failure is run again for what is still missing.
 */
export async function pushTarballImages(
  reader: BundleReader,
  tarball: TarballSource['tarball'],
  steps: PushStep[],
  ctx: Context,
): Promise<void> {
  const missing: Missing = new Map();
  for (const { item, how } of steps) {
    if (how.via !== 'tarball') continue;
    for (const blob of how.blobs) {
      const m = missing.get(blob.digest) ?? { blob, repos: new Set<string>() };
      m.repos.add(item.repository);
      missing.set(blob.digest, m);
    }
  }
  try {
    await dropPresent(missing, ctx);
    for (let pass = 1; missing.size > 0; pass++) {
      try {
        await uploadPass(reader, tarball, missing, ctx);
      } catch (err) {
        // The same question every retry asks (core/errors.ts): a lost connection or a 429/5xx is worth another pass.
        if (pass >= PASSES || !isTransient(err)) throw err;
        ctx.events({
          type: 'warning',
          message: `${tarball.name}: upload pass ${pass} failed (${(err as Error).message}); starting again for what is missing`,
        });
      }
      await dropPresent(missing, ctx);
    }
  } finally {
    for (const m of missing.values()) m.settle?.(undefined);
  }
  for (const { item, how } of steps) {
    if (how.via === 'tarball') await ctx.client.putManifest(ctx.registry, item.repository, item.root.digest, item.root.mediaType, how.body);
  }
}

/**
 * Forgets what each repository already has or can mount. The ledger's decisions first (as MountingTarget.exists):
 * a repository known to hold the blob is mounted from; then what each repository has (HEAD); what is still missing
 * is claimed in the ledger, so no other image uploads it meanwhile, and the claim is settled by the upload.
 */
async function dropPresent(missing: Missing, { client, registry, events, ledger }: Context): Promise<void> {
  for (const [digest, m] of missing) {
    const known = m.settle ? undefined : await ledger.locate(digest);
    if (known !== undefined) await mountInto(m, known, digest, client, registry, events);
    let found: string | undefined;
    for (const repo of [...m.repos]) {
      if (await client.blobExists(registry, repo, digest)) {
        m.repos.delete(repo);
        found ??= repo;
        events({ type: 'blob', action: 'exists', digest, size: m.blob.size, repo });
      }
    }
    if (found !== undefined) {
      if (m.settle) m.settle(found);
      else ledger.record(digest, found);
      m.settle = undefined;
      await mountInto(m, found, digest, client, registry, events);
    }
    if (m.repos.size === 0) missing.delete(digest);
    else m.settle ??= ledger.claim(digest);
  }
}

async function mountInto(
  m: { blob: TarballBlob; repos: Set<string> },
  from: string,
  digest: Digest,
  client: RegistryClient,
  registry: string,
  events: EventSink,
): Promise<void> {
  for (const repo of [...m.repos]) {
    // A repository the ledger names as holding the blob has it: nothing to send (as MountingTarget.exists).
    if (repo === from) {
      m.repos.delete(repo);
      continue;
    }
    if (await client.mountBlob(registry, repo, digest, from)) {
      m.repos.delete(repo);
      events({ type: 'blob', action: 'mounted', digest, size: m.blob.size, repo });
    }
  }
}

/** One front-to-back read of the tarball, uploading each missing member to the first repository lacking it. */
async function uploadPass(
  reader: BundleReader,
  tarball: TarballSource['tarball'],
  missing: Missing,
  { client, registry, events }: Context,
): Promise<void> {
  const byPath = new Map([...missing.values()].map((m) => [m.blob.path, m]));
  // Loaded when a tarball is read, not for every push (the tar parser and zstd are no part of a repeated push).
  const [{ walkArchive }, { decompressed }] = await Promise.all([
    import('../docker-archive/archive-entries.js'),
    import('../docker-archive/decompress.js'),
  ]);
  const { stream } = await decompressed(await reader.fetch(tarball.content));
  await walkArchive(stream, {
    wants: (path) => byPath.has(path),
    read: async (entry) => {
      const m = byPath.get(entry.path);
      const repo = m ? [...m.repos][0] : undefined;
      if (!m || repo === undefined) return;
      const { blob } = m;
      if (entry.size !== blob.size) {
        throw new FerryError(
          'SIZE_MISMATCH',
          `${tarball.name} member ${entry.path}: ${entry.size} bytes, the table of contents says ${blob.size}`,
          { file: tarball.name },
        );
      }
      const verify = new VerifyingStream({ digest: blob.digest, size: blob.size, subject: `${tarball.name} member ${entry.path}` });
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
      m.settle?.(repo);
      m.settle = undefined;
      events({ type: 'blob', action: 'uploaded', digest: blob.digest, size: blob.size, repo });
    },
  });
}

import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type Digest, digestHex, parseDigest } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { type BundleLayout, planLayout } from './layout.js';
import { PlannedBundle } from './planned-bundle.js';
import type { EventSink } from '../core/events.js';
import type { ImageIndex } from '../core/media-types.js';
import {
  BUNDLE_FORMAT_VERSION,
  BUNDLE_META_FILE,
  type BundleMeta,
  type DeltaInfo,
  INDEX_FILE,
  LOCK_FILE,
  OCI_LAYOUT_FILE,
  OCI_LAYOUT_VERSION,
  SBOM_FILE,
  SIGNATURE_FILE,
  SUMS_FILE,
  blobPath,
} from './format.js';
import { formatSha256Sums } from './sha256sums.js';
import type { SignatureRecord } from '../verify/signature-record.js';

/** The caller's content-addressed store: every listed blob is already verified against its digest. */
export interface BlobSource {
  list: readonly { digest: string; size: number }[];
  open(digest: Digest): Promise<Readable>;
}

export interface WriteBundleOptions {
  outPath: string;
  /** The bundle's name (from the bundle manifest), recorded in ferry-bundle.json. */
  name: string;
  /** ferry's version; ferry-bundle.json records `ferry <version>`. */
  toolVersion: string;
  /** ferry.lock.json, stored as given. */
  lock: Uint8Array;
  /** index.json: stored as given when bytes, else serialised with two-space indentation. */
  index: ImageIndex | Uint8Array;
  blobs: BlobSource;
  signal?: AbortSignal;
  events?: EventSink;
  /**
   * Hash the whole tar while writing (default true). `pull` turns it off: it costs a second SHA-256 pass over
   * every byte on the writing thread (~15 % of a pull, docs/performance.md), and SHA256SUMS inside the bundle
   * already covers every entry.
   */
  hashWholeFile?: boolean;
  /** Signs SHA256SUMS; the result is stored as SHA256SUMS.sig right after it (docs/security.md). */
  signSums?: (sums: Buffer) => Buffer;
  /** Write parts of this many bytes (`<out>.000`, … and `<out>.parts.json`) instead of one file. */
  splitSize?: number;
  /** A delta bundle: recorded in ferry-bundle.json (the omitted blobs are simply not in `blobs`). */
  delta?: DeltaInfo;
  /** What pull's signature policy check found: recorded in ferry-bundle.json (absent without spec.signatures). */
  signatures?: SignatureRecord;
  /**
   * The bundle's SBOM (src/sbom/), stored as sbom.cdx.json after index.json and listed in SHA256SUMS; given
   * SHA256SUMS as it is without that line (what the SBOM names the bundle by).
   */
  sbom?: (sums: Buffer) => Buffer;
  /**
   * Files beside the bundle that describe it, written in the same finishing step as the bundle (never before it, so
   * an interrupted or failed write leaves none of them): `lock` gets the lock's bytes, `signature` the detached
   * signature — or, for an unsigned bundle, any stale one there is removed.
   */
  beside?: { lock?: string; signature?: string };
}

export interface WriteBundleResult {
  /** Size of the written tar. */
  bytes: number;
  /** Digest of the whole tar, computed while writing; absent when `hashWholeFile` is false. */
  sha256?: Digest;
  /** SHA256SUMS.sig as stored, when the bundle was signed. */
  signature?: Buffer;
}

/**
 * Writes a format v1 bundle (docs/bundle-format.md): SHA256SUMS, the metadata files, then each blob once, sorted by
 * digest, each at its planned offset (planned-bundle.ts). Output goes to `<out>.partial-<random>` beside the target
 * and is renamed into place only after an fsync, so a crash, an error or an abort never leaves something at
 * `outPath` that looks like a finished bundle. Blobs are streamed (memory does not grow with blob size) and not
 * re-hashed: the caller's store verified them, and their digest is their SHA256SUMS line. Their length is checked,
 * because a wrong length would corrupt the tar framing.
 */
export async function writeBundle(opts: WriteBundleOptions): Promise<WriteBundleResult> {
  const bundle = await PlannedBundle.open(planBundle(opts), opts);
  try {
    for (const b of bundle.plan.blobs) {
      opts.signal?.throwIfAborted();
      await bundle.fill(b.digest, await opts.blobs.open(b.digest), opts.signal);
    }
    return await bundle.finish();
  } catch (err) {
    await bundle.abort();
    throw err;
  }
}

/** What a bundle of these inputs holds, and where: computed before a byte is fetched or written. */
export interface BundlePlan {
  layout: BundleLayout;
  /** Members other than blobs (SHA256SUMS, its signature, the metadata files), with their bytes. */
  small: [string, Buffer][];
  blobs: BlobEntry[];
  signature?: Buffer;
}

/** What planning needs: the writer's options without a way to read the blobs, only their list. */
export type PlanInputs = Omit<WriteBundleOptions, 'blobs'> & { blobs: Pick<BlobSource, 'list'> };

export function planBundle(opts: PlanInputs): BundlePlan {
  opts.signal?.throwIfAborted();
  const metadata = metadataFiles(opts);
  const blobs = normaliseBlobs(opts.blobs.list);
  const sums = sumsWithSbom(metadata, blobs, opts.sbom);
  const signature = opts.signSums?.(sums);
  const small: [string, Buffer][] = [
    [SUMS_FILE, sums],
    ...(signature ? [[SIGNATURE_FILE, signature] as [string, Buffer]] : []),
    ...metadata,
  ];
  const layout = planLayout([
    ...small.map(([path, body]) => ({ path, size: body.length })),
    ...blobs.map((b) => ({ path: blobPath(b.hex), size: b.size })),
  ]);
  return { layout, small, blobs, ...(signature ? { signature } : {}) };
}

/**
 * SHA256SUMS of the metadata members and the blobs; with an SBOM, that list is what the SBOM is made from, and the
 * SBOM member is appended to `metadata` and listed too.
 */
export function sumsWithSbom(metadata: [string, Buffer][], blobs: readonly BlobEntry[], sbom?: (sums: Buffer) => Buffer): Buffer {
  const lines = [
    ...metadata.map(([path, body]) => ({ path, hex: createHash('sha256').update(body).digest('hex') })),
    ...blobs.map((b) => ({ path: blobPath(b.hex), hex: b.hex })),
  ];
  const sums = formatSha256Sums(lines);
  if (!sbom) return sums;
  const body = sbom(sums);
  metadata.push([SBOM_FILE, body]);
  return formatSha256Sums([...lines, { path: SBOM_FILE, hex: createHash('sha256').update(body).digest('hex') }]);
}

function metadataFiles(opts: PlanInputs): [string, Buffer][] {
  const meta: BundleMeta = {
    formatVersion: BUNDLE_FORMAT_VERSION,
    name: opts.name,
    tool: `ferry ${opts.toolVersion}`,
    ...(opts.delta ? { delta: opts.delta } : {}),
    ...(opts.signatures ? { signatures: opts.signatures } : {}),
  };
  const json = (x: unknown) => Buffer.from(`${JSON.stringify(x, null, 2)}\n`, 'utf8');
  const index = opts.index instanceof Uint8Array ? Buffer.from(opts.index) : json(opts.index);
  // Order is the archive order (format.ts METADATA_FILES): small files, sorted by name.
  return [
    [OCI_LAYOUT_FILE, Buffer.from(JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }), 'utf8')],
    [BUNDLE_META_FILE, json(meta)],
    [LOCK_FILE, Buffer.from(opts.lock)],
    [INDEX_FILE, index],
  ];
}

export interface BlobEntry {
  digest: Digest;
  hex: string;
  size: number;
}

/** Validates, de-duplicates (content addressed: one copy each) and sorts the blob list by hex digest. */
function normaliseBlobs(list: BlobSource['list']): BlobEntry[] {
  const byHex = new Map<string, BlobEntry>();
  for (const { digest, size } of list) {
    const d = parseDigest(digest, 'blob digest');
    if (!Number.isSafeInteger(size) || size < 0) throw new FerryError('INTERNAL', `blob ${d}: invalid size ${size}`, { digest: d });
    const prev = byHex.get(digestHex(d));
    if (prev && prev.size !== size) {
      throw new FerryError('SIZE_MISMATCH', `blob ${d} is listed with two sizes: ${prev.size} and ${size}`, { digest: d });
    }
    byHex.set(digestHex(d), { digest: d, hex: digestHex(d), size });
  }
  return [...byHex.values()].sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0));
}

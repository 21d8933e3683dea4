/** The bundle writer as it was before the planned layout (sequential appends): kept to show the planned writer produces the same bytes. */
import { type Hash, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Readable, addAbortSignal } from 'node:stream';
import { type Digest, digestHex, parseDigest } from '../../src/core/digest.js';
import { FerryError, isFerryError } from '../../src/core/errors.js';
import { type EventSink, noEvents } from '../../src/core/events.js';
import { removeStalePartials } from '../../src/core/partial-files.js';
import type { ImageIndex } from '../../src/core/media-types.js';
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
} from '../../src/bundle/format.js';
import { type BundleOutput, type Companion, partedOutput, singleOutput } from './sequential-output.js';
import { formatSha256Sums } from '../../src/bundle/sha256sums.js';
import { END_OF_ARCHIVE, encodeFileHeader, padding } from '../../src/bundle/tar-format.js';

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
  /** The bundle's SBOM, given SHA256SUMS without its line: stored as sbom.cdx.json after index.json. */
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
 * digest. Output goes to `<out>.partial-<random>` beside the target and is renamed into place only after an fsync,
 * so a crash, an error or an abort never leaves something at `outPath` that looks like a finished bundle.
 * Blobs are streamed (memory does not grow with blob size) and not re-hashed: the cache verified them, and their
 * digest is their SHA256SUMS line. Their length is checked, because a wrong length would corrupt the tar framing.
 */
export async function writeBundleSequential(opts: WriteBundleOptions): Promise<WriteBundleResult> {
  const events = opts.events ?? noEvents;
  opts.signal?.throwIfAborted();
  const metadata = metadataFiles(opts);
  const blobs = normaliseBlobs(opts.blobs.list);
  const lines = [
    ...metadata.map(([path, body]) => ({ path, hex: createHash('sha256').update(body).digest('hex') })),
    ...blobs.map((b) => ({ path: blobPath(b.hex), hex: b.hex })),
  ];
  let sums = formatSha256Sums(lines);
  if (opts.sbom) {
    // The SBOM names the bundle by SHA256SUMS without its own line, then is listed like any member.
    const body = opts.sbom(sums);
    metadata.push([SBOM_FILE, body]);
    sums = formatSha256Sums([...lines, { path: SBOM_FILE, hex: createHash('sha256').update(body).digest('hex') }]);
  }
  const signature = opts.signSums?.(sums);

  // Temporary files a killed earlier run left beside this output (their process is gone) are removed first.
  const stale = await removeStalePartials(dirname(opts.outPath), `${basename(opts.outPath)}.`);
  if (stale.length > 0)
    events({ type: 'info', message: `removed ${stale.length} temporary files an interrupted earlier run left: ${stale.join(', ')}` });
  const companions: Companion[] = [
    ...(opts.beside?.lock ? [{ path: opts.beside.lock, body: opts.lock }] : []),
    ...(opts.beside?.signature ? [{ path: opts.beside.signature, body: signature }] : []),
  ];
  const output = opts.splitSize
    ? await partedOutput(opts.outPath, opts.splitSize, companions)
    : await singleOutput(opts.outPath, companions);
  const out = new TarOut(output, opts.outPath, events, opts.hashWholeFile !== false);
  // Every member's size is known before the first byte: the bundle's exact size is the write phase's total.
  const members: [string, number][] = [
    [SUMS_FILE, sums.length],
    ...(signature ? [[SIGNATURE_FILE, signature.length] as [string, number]] : []),
    ...metadata.map(([path, body]): [string, number] => [path, body.length]),
    ...blobs.map((b): [string, number] => [blobPath(b.hex), b.size]),
  ];
  events({ type: 'phase', phase: 'write', detail: opts.outPath, totalBytes: tarSize(members) });
  try {
    await out.file(SUMS_FILE, sums);
    if (signature) await out.file(SIGNATURE_FILE, signature);
    for (const [path, body] of metadata) await out.file(path, body);
    for (const b of blobs) {
      opts.signal?.throwIfAborted();
      await out.blob(b, await opts.blobs.open(b.digest), opts.signal);
    }
    await out.write(END_OF_ARCHIVE);
    opts.signal?.throwIfAborted();
    await output.finish();
    await syncDir(dirname(opts.outPath));
    return {
      bytes: out.bytes,
      ...(out.hash ? { sha256: `sha256:${out.hash.digest('hex')}` as Digest } : {}),
      ...(signature ? { signature } : {}),
    };
  } catch (err) {
    await output.abort();
    throw err;
  }
}

/** The size of the tar these members make: each header, body and padding, and the end-of-archive blocks. */
function tarSize(members: [string, number][]): number {
  return members.reduce((n, [path, size]) => n + encodeFileHeader(path, size).length + size + padding(size).length, END_OF_ARCHIVE.length);
}

function metadataFiles(opts: WriteBundleOptions): [string, Buffer][] {
  const meta: BundleMeta = {
    formatVersion: BUNDLE_FORMAT_VERSION,
    name: opts.name,
    tool: `ferry ${opts.toolVersion}`,
    ...(opts.delta ? { delta: opts.delta } : {}),
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

interface BlobEntry {
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

/** Appends tar members to an open file, hashing everything written. */
class TarOut {
  readonly hash: Hash | undefined;
  bytes = 0;

  constructor(
    private readonly output: BundleOutput,
    private readonly path: string,
    private readonly events: EventSink,
    hashWholeFile: boolean,
  ) {
    this.hash = hashWholeFile ? createHash('sha256') : undefined;
  }

  async write(buf: Uint8Array): Promise<void> {
    // The write runs on libuv's thread pool; hash on this thread meanwhile instead of after it.
    const written = this.output.write(buf);
    this.hash?.update(buf);
    await written;
    this.bytes += buf.length;
    this.events({ type: 'bytes', n: buf.length, phase: 'write' });
  }

  async file(path: string, body: Buffer): Promise<void> {
    await this.write(encodeFileHeader(path, body.length));
    await this.write(body);
    await this.write(padding(body.length));
  }

  async blob(b: BlobEntry, source: Readable, signal?: AbortSignal): Promise<void> {
    const subject = `blob ${b.digest}`;
    if (signal) addAbortSignal(signal, source);
    await this.write(encodeFileHeader(blobPath(b.hex), b.size));
    let seen = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        seen += buf.length;
        // Checked before writing: extra bytes would shift every later header.
        if (seen > b.size) throw sizeMismatch(subject, b.size, `more than ${b.size}`);
        await this.write(buf);
      }
    } catch (err) {
      source.destroy();
      if (isFerryError(err) || (err as Error).name === 'AbortError') throw err;
      throw ioError(`${subject}: reading from the cache failed: ${(err as Error).message}`, this.path, err);
    }
    if (seen !== b.size) throw sizeMismatch(subject, b.size, `only ${seen}`);
    await this.write(padding(b.size));
  }
}

function sizeMismatch(subject: string, expected: number, got: string): FerryError {
  return new FerryError('SIZE_MISMATCH', `${subject}: size mismatch while writing the bundle: expected ${expected} bytes, got ${got}`, {
    subject,
    expected,
  });
}

function ioError(msg: string, path: string, err: unknown): FerryError {
  if (isFerryError(err)) return err;
  const errno = (err as NodeJS.ErrnoException).code;
  return new FerryError('IO_ERROR', msg, { path, ...(errno ? { errno } : {}) }, { cause: err });
}

/** Makes the rename durable (POSIX: the directory entry lives in the directory). Not all platforms allow it. */
async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Best effort: fsync on a directory fails on some file systems; the data itself is already synced.
  }
}

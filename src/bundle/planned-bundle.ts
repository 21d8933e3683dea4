import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Readable, addAbortSignal } from 'node:stream';
import type { Digest } from '../core/digest.js';
import { FerryError, isFerryError } from '../core/errors.js';
import { type EventSink, noEvents } from '../core/events.js';
import { removeStalePartials } from '../core/partial-files.js';
import type { PlannedMember } from './layout.js';
import type { Companion } from './output-files.js';
import { type BundleOutput, openOutput } from './placed-output.js';
import { BLOCK, END_OF_ARCHIVE, encodeFileHeader, paddingFor } from './tar-format.js';
import type { BundlePlan, WriteBundleOptions, WriteBundleResult } from './writer.js';

/**
 * Written bytes are flushed (fdatasync) every this many, so the dirty pages never pile up to a long final sync and
 * the journal (src/pull/journal.ts) can record entries that are on the disk.
 */
export const FLUSH_BYTES = 64 << 20;

export interface PlannedBundleOptions extends Pick<
  WriteBundleOptions,
  'outPath' | 'lock' | 'splitSize' | 'events' | 'hashWholeFile' | 'beside'
> {
  /** An earlier run's partial bundle of the same plan: its temporary files (renamed to this process's) and its entries. */
  adopt?: { files: readonly string[]; written: ReadonlySet<string> };
  /** After each flush: the blobs whose bytes that flush made durable (and which were not reported before). */
  onDurable?: (digests: string[]) => Promise<void>;
}

/**
 * A bundle being filled: the file created at its planned size, SHA256SUMS, the metadata and every tar header written
 * at their offsets first, then each blob at its own offset as it arrives, in any order and concurrently. A blob
 * counts as written only when its writer says so (`markWritten`, after verifying it); the bundle is complete when all
 * are. The write phase's bytes are counted once each, whatever is written again (a blob fetched a second time).
 */
export class PlannedBundle {
  private readonly byDigest = new Map<string, PlannedMember>();
  private readonly written = new Set<string>();
  /** Per blob, how far the write phase has counted its bytes. */
  private readonly counted = new Map<string, number>();
  private pending: string[] = [];
  private unsynced = 0;
  private flushing: Promise<void> | undefined;
  private bytes = 0;

  private constructor(
    readonly plan: BundlePlan,
    private readonly output: BundleOutput,
    private readonly opts: PlannedBundleOptions,
    private readonly events: EventSink,
  ) {
    const first = plan.small.length;
    plan.blobs.forEach((b, i) => this.byDigest.set(b.digest, plan.layout.members[first + i] as PlannedMember));
  }

  static async open(plan: BundlePlan, opts: PlannedBundleOptions): Promise<PlannedBundle> {
    const events = opts.events ?? noEvents;
    // Temporary files a killed earlier run left beside this output (their process is gone) are removed first.
    const stale = await removeStalePartials(dirname(opts.outPath), `${basename(opts.outPath)}.`);
    if (stale.length > 0)
      events({ type: 'info', message: `removed ${stale.length} temporary files an interrupted earlier run left: ${stale.join(', ')}` });
    const companions: Companion[] = [
      ...(opts.beside?.lock ? [{ path: opts.beside.lock, body: opts.lock }] : []),
      ...(opts.beside?.signature ? [{ path: opts.beside.signature, body: plan.signature }] : []),
    ];
    // Every member's size is known before the first byte: the bundle's exact size is the write phase's total.
    events({ type: 'phase', phase: 'write', detail: opts.outPath, totalBytes: plan.layout.size });
    const output = await openOutput(opts.outPath, plan.layout.size, {
      companions,
      ...(opts.splitSize ? { partSize: opts.splitSize } : {}),
      ...(opts.adopt ? { adopt: opts.adopt.files } : {}),
    });
    const bundle = new PlannedBundle(plan, output, opts, events);
    try {
      await bundle.writeFrame();
    } catch (err) {
      await output.abort();
      throw err;
    }
    return bundle;
  }

  /** The headers, the small members, and (counted, not written: the file reads as zeros there) padding and end. */
  private async writeFrame(): Promise<void> {
    const { layout, small } = this.plan;
    let framing = END_OF_ARCHIVE.length;
    for (const [i, m] of layout.members.entries()) {
      await this.output.writeAt(m.header, encodeFileHeader(m.path, m.size));
      const body = small[i]?.[1];
      if (body) await this.output.writeAt(m.offset, body);
      framing += BLOCK + paddingFor(m.size) + (body ? body.length : 0);
    }
    let adopted = 0;
    for (const digest of this.opts.adopt?.written ?? []) {
      const m = this.byDigest.get(digest);
      if (!m) continue;
      this.written.add(digest);
      this.counted.set(digest, m.size);
      adopted += m.size;
    }
    this.count(framing + adopted);
  }

  private count(n: number): void {
    if (n <= 0) return;
    this.bytes += n;
    this.events({ type: 'bytes', n, phase: 'write' });
  }

  /** The blob's planned place, when the bundle holds it. */
  member(digest: string): PlannedMember | undefined {
    return this.byDigest.get(digest);
  }

  /** How many blobs are written so far (for the line a kept partial bundle gets). */
  writtenCount(): number {
    return this.written.size;
  }

  isWritten(digest: string): boolean {
    return this.written.has(digest);
  }

  /** Blobs written so far (resume state). */
  writtenBlobs(): string[] {
    return [...this.written];
  }

  /** Writes `buf` at `at` within the blob's own region; never past it, so a bad source cannot touch a neighbour. */
  async writeBlob(digest: string, at: number, buf: Uint8Array): Promise<void> {
    const m = this.byDigest.get(digest);
    if (!m) throw new FerryError('INTERNAL', `blob ${digest} is not planned in this bundle`, { digest });
    if (at < 0 || at + buf.length > m.size) throw sizeMismatch(`blob ${digest}`, m.size, `more than ${m.size}`);
    await this.output.writeAt(m.offset + at, buf);
    const seen = this.counted.get(digest) ?? 0;
    if (at + buf.length > seen) {
      this.counted.set(digest, at + buf.length);
      this.count(at + buf.length - seen);
    }
    this.unsynced += buf.length;
    if (this.unsynced >= FLUSH_BYTES) await this.flush();
  }

  /** Reads back what was written of a blob (a kept prefix, re-hashed before it is resumed). */
  readBlob(digest: string, at: number, length: number): Promise<Buffer> {
    const m = this.byDigest.get(digest) as PlannedMember;
    return this.output.readAt(m.offset + at, Math.min(length, m.size - at));
  }

  /** The blob's bytes are all written and verified by the caller. */
  markWritten(digest: string): void {
    if (this.written.has(digest)) return;
    this.written.add(digest);
    this.pending.push(digest);
  }

  /** A blob that failed its check is no longer written (its bytes are written again by the next attempt). */
  forget(digest: string): void {
    this.written.delete(digest);
    this.pending = this.pending.filter((d) => d !== digest);
  }

  /** fdatasync what was written; then report the blobs that were complete before it started as durable. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.unsynced = 0;
    const durable = this.pending;
    this.pending = [];
    this.flushing = (async () => {
      await this.output.sync();
      if (durable.length > 0) await this.opts.onDurable?.(durable);
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  /** Copies a blob that is already verified (the cache's) into its place; only its length is checked. */
  async fill(digest: Digest, source: Readable, signal?: AbortSignal): Promise<void> {
    const m = this.byDigest.get(digest) as PlannedMember;
    const subject = `blob ${digest}`;
    if (signal) addAbortSignal(signal, source);
    let seen = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        // Checked before writing: extra bytes would overwrite the next header.
        if (seen + buf.length > m.size) throw sizeMismatch(subject, m.size, `more than ${m.size}`);
        await this.writeBlob(digest, seen, buf);
        seen += buf.length;
      }
    } catch (err) {
      source.destroy();
      if (isFerryError(err) || (err as Error).name === 'AbortError') throw err;
      throw ioError(`${subject}: reading from the cache failed: ${(err as Error).message}`, this.opts.outPath, err);
    }
    if (seen !== m.size) throw sizeMismatch(subject, m.size, `only ${seen}`);
    this.markWritten(digest);
  }

  /** Every blob written: sync, rename into place with the companions, and make the rename durable. */
  async finish(): Promise<WriteBundleResult> {
    const missing = this.plan.blobs.filter((b) => !this.written.has(b.digest));
    if (missing.length > 0)
      throw new FerryError('INTERNAL', `the bundle is not complete: ${missing.length} blobs not written, first ${missing[0]?.digest}`);
    while (this.flushing) await this.flushing;
    const { sha256 } = await this.output.finish(this.opts.hashWholeFile !== false);
    await syncDir(dirname(this.opts.outPath));
    return {
      bytes: this.bytes,
      ...(sha256 ? { sha256: `sha256:${sha256}` as Digest } : {}),
      ...(this.plan.signature ? { signature: this.plan.signature } : {}),
    };
  }

  /** Removes everything written. */
  async abort(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {});
    await this.output.abort();
  }

  /** Flushes, reports the last durable blobs and closes, keeping the partial bundle for the next run to resume. */
  async keep(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.output.keep();
    }
  }

  get files(): readonly string[] {
    return this.output.files;
  }
}

export function sizeMismatch(subject: string, expected: number, got: string): FerryError {
  return new FerryError('SIZE_MISMATCH', `${subject}: size mismatch while writing the bundle: expected ${expected} bytes, got ${got}`, {
    subject,
    expected,
  });
}

export function ioError(msg: string, path: string, err: unknown): FerryError {
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

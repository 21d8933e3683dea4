import { availableParallelism } from 'node:os';
import type { ByteSource } from '../bundle/byte-source.js';
import { PartsByteSource } from '../bundle/parts.js';
import { type FilePiece, HashPool } from './hash-pool.js';
import type { RangeTask, Span } from './range-hash.js';
import type { Scanned } from './sums-check.js';

export interface PlanOptions {
  /** Hashing threads (default: one per core, none for a bundle under 32 MiB); 0 hashes on this thread. */
  workers?: number;
  progress(n: number): void;
  signal?: AbortSignal;
  onTask?(threadId: number): void;
}

/** Below this a bundle is hashed on the calling thread: starting workers would cost more than they save. */
const SMALL_BUNDLE = 32 << 20;
/** A stretch of members one task reads; several per worker, so a late large member does not leave a core idle. */
const MIN_STRETCH = 8 << 20;
const MAX_STRETCH = 64 << 20;

export interface PartProblem {
  part: string;
  expected: string;
  actual: string;
}

interface Pending {
  task: RangeTask;
  /** The members whose digests are `task.hashes` (after the part's own, for a part task). */
  members: Scanned[];
  /** A part task: given the part's digest (the first). */
  own?: (hex: string[]) => void;
}

/**
 * Spreads the hashing of a bundle's members over worker threads (docs/performance.md "Verify"). One file: runs of
 * consecutive members, each run one task read front to back. A split bundle: one task per part, hashing the part
 * for its parts list and the members that start in it (one reading serves both; a member running into the next
 * part is read on from there). Tasks wait until `open()`: SHA256SUMS and its signature are judged before anything
 * else is hashed (docs/security.md "Signing").
 */
export class HashPlan {
  private readonly pool: HashPool;
  private readonly held: Pending[] = [];
  private readonly running: Promise<void>[] = [];
  private failure?: { err: unknown };
  private readonly parts?: { name: string; sha256: string; span: Span; members: Scanned[]; actual?: string }[];
  private nextPart = 0;
  private run?: Pending;
  private opened = false;
  private readonly stretch: number;

  constructor(
    private readonly src: ByteSource,
    opts: PlanOptions,
  ) {
    const files: FilePiece[] | undefined = src.files?.();
    const workers = !files ? 0 : (opts.workers ?? (src.size < SMALL_BUNDLE ? 0 : availableParallelism()));
    this.pool = new HashPool(files ?? [], src, { ...opts, workers });
    this.stretch = Math.min(MAX_STRETCH, Math.max(MIN_STRETCH, Math.ceil(src.size / (4 * Math.max(1, workers)))));
    if (src instanceof PartsByteSource) {
      this.parts = src.files().map((f, i) => ({
        name: src.list.parts[i]?.name ?? f.path,
        sha256: src.list.parts[i]?.sha256 ?? '',
        span: { start: f.start, end: f.start + f.size },
        members: [],
      }));
    }
  }

  /** Whether the parts' bytes are reported as progress by the tasks (all of them), not by the scan. */
  get ownsAllBytes(): boolean {
    return this.parts !== undefined;
  }

  /** A member the scan skipped (complete in the file): its digest lands in `rec.hex` once `finish` resolves. */
  add(rec: Scanned): void {
    if (this.parts) {
      this.flushPartsBefore(rec.offset);
      this.parts[this.nextPart]?.members.push(rec);
      return;
    }
    const span = { start: rec.offset, end: rec.offset + rec.size };
    if (!this.run) this.run = { task: { start: span.start, end: span.end, hashes: [], owned: [] }, members: [] };
    this.run.task.hashes.push(span);
    this.run.task.owned.push(span);
    this.run.task.end = span.end;
    this.run.members.push(rec);
    if (this.run.task.end - this.run.task.start >= this.stretch) this.flushRun();
  }

  /** The front passed: hashing may start. */
  open(): void {
    this.opened = true;
    for (const p of this.held.splice(0)) this.start(p);
  }

  /** Runs what is left and waits for every digest; for a split bundle, the parts that differ from their list. */
  async finish(): Promise<PartProblem[]> {
    this.flushRun();
    if (this.parts) this.flushPartsBefore(Infinity);
    if (!this.opened) this.open();
    await Promise.all(this.running);
    if (this.failure) throw this.failure.err;
    return (this.parts ?? []).flatMap((p) => (p.actual === p.sha256 ? [] : [{ part: p.name, expected: p.sha256, actual: p.actual ?? '' }]));
  }

  /** Stops the workers at once (a pass that failed need not wait for them), then waits for what runs here. */
  async close(): Promise<void> {
    await this.pool.close();
    await Promise.allSettled(this.running);
  }

  private flushRun(): void {
    if (this.run) this.submit(this.run);
    this.run = undefined;
  }

  /** Every part that ends at or before `offset` has all its members: its task can go. */
  private flushPartsBefore(offset: number): void {
    const parts = this.parts ?? [];
    while (this.nextPart < parts.length && (parts[this.nextPart]?.span.end ?? 0) <= offset) {
      const part = parts[this.nextPart++] as NonNullable<typeof this.parts>[number];
      const spans = part.members.map((m) => ({ start: m.offset, end: m.offset + m.size }));
      const end = spans.reduce((e, s) => Math.max(e, s.end), part.span.end);
      const task = { start: part.span.start, end, hashes: [part.span, ...spans], owned: [part.span] };
      this.submit({ task, members: part.members }, (hex) => (part.actual = hex[0]));
    }
  }

  private submit(p: Pending, own?: (hex: string[]) => void): void {
    const pending = own ? { ...p, own } : p;
    if (this.opened) this.start(pending);
    else this.held.push(pending);
  }

  private start(p: Pending): void {
    this.running.push(
      this.pool.run(p.task).then(
        (hex) => {
          p.own?.(hex);
          const mine = p.own ? hex.slice(1) : hex;
          p.members.forEach((m, i) => (m.hex = mine[i]));
        },
        // Kept for `finish` (the first failure is the one to tell), never left unhandled meanwhile.
        (err: unknown) => void (this.failure ??= { err }),
      ),
    );
  }
}

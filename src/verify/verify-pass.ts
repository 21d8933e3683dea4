import { createHash } from 'node:crypto';
import type { ByteSource } from '../bundle/byte-source.js';
import { MAX_METADATA_BYTES, SIGNATURE_FILE, SMALL_FILES, SUMS_FILE } from '../bundle/format.js';
import { isSafeEntryPath } from '../bundle/tar-format.js';
import type { EntrySink } from '../bundle/tar-walk.js';
import { type EventSink, noEvents } from '../core/events.js';
import { type FrontVerdict, type SignaturePolicy, checkFront } from './front-check.js';
import { HashPlan, type PartProblem } from './hash-plan.js';
import { SKIP, STOP, TarStructureError, scanMembers } from './member-scan.js';
import type { Problem } from './problem.js';
import type { Scanned } from './sums-check.js';

export interface PassOptions extends SignaturePolicy {
  events?: EventSink;
  signal?: AbortSignal;
  /** Hashing threads (default: one per core; none for a small bundle); 0 hashes on the calling thread. */
  workers?: number;
  /** Told the thread each hashing task ran on (0: the calling thread), so tests can see the work spread. */
  onHashTask?(threadId: number): void;
}

/** What the pass over the archive found, for the structural checks after it. */
export interface Pass {
  scanned: Scanned[];
  byPath: Map<string, Scanned>;
  /** SHA256SUMS, its signature and the metadata members, as read. */
  captured: Map<string, Buffer>;
  trailing: { from: number; bytes: number; nonZeroAt: number };
  bytes: number;
  verdict: FrontVerdict;
  /** A split bundle's parts that differ from their parts list (hashed unless the front failed). */
  partProblems: PartProblem[];
}

/** Members read into memory during the scan, for the structural checks after it. */
const CAPTURED = new Set<string>([SUMS_FILE, SIGNATURE_FILE, ...SMALL_FILES]);
const ZEROS = Buffer.alloc(64 * 1024);

/**
 * The one pass over the archive (docs/bundle-format.md "Verifying"): this thread walks the headers, reads and
 * hashes SHA256SUMS, its signature and the metadata (small, and parsed afterwards), and judges the front before
 * anything else is hashed; every other member's data is hashed by the workers of a HashPlan, on every core.
 * Problems of the archive's order and structure go to `problems`; the digests land in each Scanned.
 */
export async function runPass(src: ByteSource, opts: PassOptions, problems: Problem[]): Promise<Pass> {
  const events = opts.events ?? noEvents;
  const pass: Omit<Pass, 'verdict'> & { verdict?: FrontVerdict } = {
    scanned: [],
    byPath: new Map(),
    captured: new Map(),
    trailing: { from: -1, bytes: 0, nonZeroAt: -1 },
    bytes: 0,
    partProblems: [],
  };
  const { scanned, byPath, captured, trailing } = pass;
  const progress = (n: number) => {
    opts.signal?.throwIfAborted();
    pass.bytes += n;
    events({ type: 'bytes', n, phase: 'verify' });
  };
  const plan = new HashPlan(src, {
    progress,
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onHashTask ? { onTask: opts.onHashTask } : {}),
  });

  const judgeFront = (): FrontVerdict => {
    const sumsFirst = scanned[0]?.path === SUMS_FILE;
    const sig = sumsFirst && scanned[1]?.path === SIGNATURE_FILE ? captured.get(SIGNATURE_FILE) : undefined;
    const front = checkFront(sumsFirst ? captured.get(SUMS_FILE) : undefined, sig, opts);
    if (front.warning) events({ type: 'warning', message: front.warning });
    pass.verdict = front;
    if (!front.problem) plan.open();
    return front;
  };

  const entry = (h: { path: string; size: number; kind: 'file' | 'directory' }, offset: number, complete: boolean) => {
    const path = h.kind === 'directory' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
    const at = scanned.length;
    // The first member past SHA256SUMS (and SHA256SUMS.sig): the front is complete, judge it before going on.
    if (!pass.verdict && at >= 1 && !(at === 1 && path === SIGNATURE_FILE) && judgeFront().problem) return STOP;
    const rec: Scanned = { path, size: h.size, offset, kind: h.kind };
    if (at === 0 && path !== SUMS_FILE) {
      problems.push({ path, code: 'MALFORMED', message: `the first entry is ${path}, not ${SUMS_FILE} (format v1 puts it first)` });
    }
    if (path === SIGNATURE_FILE && (at !== 1 || scanned[0]?.path !== SUMS_FILE)) {
      problems.push({
        path,
        code: 'MALFORMED',
        message: `${SIGNATURE_FILE} is entry ${at + 1} of the archive; format v1 puts it right after ${SUMS_FILE}, so it is not taken as the bundle signature`,
      });
    }
    if (!isSafeEntryPath(path)) problems.push({ path, code: 'MALFORMED', message: `entry ${JSON.stringify(path)} has an unsafe path` });
    if (byPath.has(path)) problems.push({ path, code: 'MALFORMED', message: `${path} appears twice in the archive` });
    scanned.push(rec);
    byPath.set(path, rec);
    if (h.kind === 'directory') return { data() {}, end() {} };
    // Only the first copy of a member is kept: a later duplicate must not replace what the signature was judged on.
    if (CAPTURED.has(path) && !captured.has(path)) {
      if (h.size <= MAX_METADATA_BYTES) return capture(rec);
      problems.push({ path, code: 'MALFORMED', message: `${path} is ${h.size} bytes, more than the ${MAX_METADATA_BYTES} allowed` });
    }
    // Hashed by the plan; one cut short by the end of the file has no digest (the scan reports it).
    if (complete) plan.add(rec);
    return SKIP;
  };

  const capture = (rec: Scanned): EntrySink => {
    const hash = createHash('sha256');
    const keep: Buffer[] = [];
    return {
      data(chunk) {
        hash.update(chunk);
        keep.push(Buffer.from(chunk)); // copy: the chunk is a view of a reused read buffer
      },
      end() {
        rec.hex = hash.digest('hex');
        captured.set(rec.path, Buffer.concat(keep));
      },
    };
  };

  try {
    let stopped = false;
    try {
      stopped = !!(
        await scanMembers(src, {
          entry,
          // A split bundle's bytes are all reported by the part tasks; the scan's only by a single file.
          bytes: (n) => (plan.ownsAllBytes ? opts.signal?.throwIfAborted() : progress(n)),
          trailing(chunk, at) {
            if (trailing.from < 0) trailing.from = at;
            trailing.bytes += chunk.length;
            if (trailing.nonZeroAt < 0) trailing.nonZeroAt = firstNonZero(chunk, at);
          },
        })
      ).stopped;
    } catch (err) {
      if (!(err instanceof TarStructureError)) throw err;
      problems.push({ path: err.entryPath ?? src.name, code: 'MALFORMED', message: `${src.name}: ${err.message}` });
    }
    const verdict = pass.verdict ?? judgeFront();
    // A front that fails stops the pass: nothing it vouches for is hashed.
    if (!stopped && !verdict.problem) pass.partProblems = await plan.finish();
    return { ...pass, verdict };
  } finally {
    await plan.close();
  }
}

/** Offset of the first non-zero byte of `chunk` (which starts at `at`), or -1. */
function firstNonZero(chunk: Buffer, at: number): number {
  for (let i = 0; i < chunk.length; i += ZEROS.length) {
    const piece = chunk.subarray(i, i + ZEROS.length);
    if (piece.equals(ZEROS.subarray(0, piece.length))) continue;
    for (let j = 0; j < piece.length; j++) if (piece[j] !== 0) return at + i + j;
  }
  return -1;
}

import { createHash } from 'node:crypto';
import { type ByteSource, readExactly } from '../bundle/byte-source.js';
import { openBundleSource } from '../bundle/open-bundle.js';
import { assertFerryBundle } from '../bundle/identify.js';
import {
  BUNDLE_META_FILE,
  INDEX_FILE,
  LOCK_FILE,
  MAX_METADATA_BYTES,
  METADATA_FILES,
  SIGNATURE_FILE,
  SUMS_FILE,
  blobPath,
} from '../bundle/format.js';
import { damagedMember } from '../bundle/member-json.js';
import { PartsByteSource } from '../bundle/parts.js';
import { isSafeEntryPath } from '../bundle/tar-format.js';
import { digestFromHex, verifiedStream } from '../core/digest.js';
import { isFerryError } from '../core/errors.js';
import { type EventSink, noEvents } from '../core/events.js';
import { type FrontVerdict, type SignaturePolicy, checkFront } from './front-check.js';
import { checkLayout } from './layout-check.js';
import { checkLockAgainstIndex } from './lock-check.js';
import { checkMetadata, omittedBlobs, parseIndex } from './metadata-check.js';
import type { Problem, VerifyResult } from './problem.js';
import { type Scanned, compareWithSums, readSums } from './sums-check.js';
import { type EntrySink, STOP, TarStructureError, walkTar } from '../bundle/tar-walk.js';

export type { Problem, ProblemCode, VerifyResult } from './problem.js';

export interface VerifyOptions extends SignaturePolicy {
  events?: EventSink;
  signal?: AbortSignal;
}

/** Members read into memory during the scan, for the structural checks after it. */
const CAPTURED = new Set<string>([SUMS_FILE, SIGNATURE_FILE, ...METADATA_FILES]);
const ZEROS = Buffer.alloc(64 * 1024);

/**
 * Checks a bundle end to end (docs/bundle-format.md "Verifying") in one front-to-back pass. SHA256SUMS and its
 * signature come first and are judged before anything else is parsed: a signature that fails stops the pass there.
 * Every member is hashed and compared with SHA256SUMS; only members that match it are parsed (the metadata, then
 * the OCI layout walked from index.json, the lock and the vouching chains); bytes after the end-of-archive marker
 * must be zeros. Damage is reported as problems, never thrown; only an unreadable file, or one that is no ferry
 * bundle at all (src/bundle/identify.ts: not a tar archive, no ferry-bundle.json), throws.
 */
export async function verifyBundle(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const src = await openBundleSource(path);
  try {
    await assertFerryBundle(src);
    // The pass reads the whole file (every part of a split bundle): its size is the verify phase's total.
    opts.events?.({ type: 'phase', phase: 'verify', detail: path, totalBytes: src.size });
    return await verifySource(src, opts);
  } finally {
    await src.close();
  }
}

export async function verifySource(src: ByteSource, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const events = opts.events ?? noEvents;
  const problems: Problem[] = [];
  const scanned: Scanned[] = [];
  const byPath = new Map<string, Scanned>();
  const captured = new Map<string, Buffer>();
  const trailing = { from: -1, bytes: 0, nonZeroAt: -1 };
  let bytes = 0;
  let front: FrontVerdict | undefined;

  const judgeFront = (): FrontVerdict => {
    const sumsFirst = scanned[0]?.path === SUMS_FILE;
    const sig = sumsFirst && scanned[1]?.path === SIGNATURE_FILE ? captured.get(SIGNATURE_FILE) : undefined;
    front = checkFront(sumsFirst ? captured.get(SUMS_FILE) : undefined, sig, opts);
    if (front.warning) events({ type: 'warning', message: front.warning });
    return front;
  };

  const entry = (h: { path: string; size: number; kind: 'file' | 'directory' }, offset: number): EntrySink | typeof STOP => {
    const path = h.kind === 'directory' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
    const at = scanned.length;
    // The first member past SHA256SUMS (and SHA256SUMS.sig): the front is complete, judge it before going on.
    if (!front && at >= 1 && !(at === 1 && path === SIGNATURE_FILE) && judgeFront().problem) return STOP;
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
    const hash = createHash('sha256');
    let keep: Buffer[] | undefined;
    // Only the first copy of a member is kept: a later duplicate must not replace what the signature was judged on.
    if (CAPTURED.has(path) && !captured.has(path)) {
      if (h.size <= MAX_METADATA_BYTES) keep = [];
      else problems.push({ path, code: 'MALFORMED', message: `${path} is ${h.size} bytes, more than the ${MAX_METADATA_BYTES} allowed` });
    }
    return {
      data(chunk) {
        hash.update(chunk);
        keep?.push(Buffer.from(chunk)); // copy: the chunk is a view of a reused read buffer
      },
      end() {
        rec.hex = hash.digest('hex');
        if (keep) captured.set(path, Buffer.concat(keep));
      },
    };
  };

  try {
    await walkTar(src, {
      entry,
      bytes(n) {
        opts.signal?.throwIfAborted();
        bytes += n;
        events({ type: 'bytes', n, phase: 'verify' });
      },
      trailing(chunk, at) {
        if (trailing.from < 0) trailing.from = at;
        trailing.bytes += chunk.length;
        if (trailing.nonZeroAt < 0) trailing.nonZeroAt = firstNonZero(chunk, at);
      },
    });
  } catch (err) {
    if (!(err instanceof TarStructureError)) throw err;
    problems.push({ path: err.entryPath ?? src.name, code: 'MALFORMED', message: `${src.name}: ${err.message}` });
  }
  const verdict = front ?? judgeFront();
  const result = (): VerifyResult => ({
    ok: problems.length === 0,
    entries: scanned.length,
    bytes,
    problems,
    signature: verdict.signature,
    contents: contentsOf(scanned),
  });
  if (verdict.problem) {
    problems.push(verdict.problem);
    return result(); // nothing that SHA256SUMS vouches for can be trusted: parse none of it
  }

  if (trailing.nonZeroAt >= 0) {
    problems.push({
      path: src.name,
      code: 'UNEXPECTED',
      actual: trailing.bytes,
      message: `${src.name}: ${trailing.bytes} bytes follow the end-of-archive marker at byte ${trailing.from}, not all zeros (first non-zero byte at ${trailing.nonZeroAt}); format v1 ends with the marker: the data after the end-of-archive marker is not part of the bundle`,
    });
  }
  // A split bundle: name each part whose bytes are not what its parts list says, so only it is copied again.
  if (src instanceof PartsByteSource) {
    for (const p of src.partProblems()) {
      problems.push({
        path: p.part,
        code: 'DIGEST_MISMATCH',
        expected: p.expected,
        actual: p.actual,
        message: `part ${p.part}: sha256 ${p.actual}, the parts list says ${p.expected}: copy this part again`,
      });
    }
  }
  const sums = readSums(captured.get(SUMS_FILE), byPath.has(SUMS_FILE), problems);
  if (sums) problems.push(...compareWithSums(scanned, byPath, sums));
  for (const f of METADATA_FILES) {
    if (!byPath.has(f) && !sums?.has(f))
      problems.push({ path: f, code: 'MISSING', message: `${f} is missing (required by bundle format v1)` });
  }
  // Parsed only when its bytes are the ones SHA256SUMS lists (a mismatch is already reported).
  const trusted = (path: string): Buffer | undefined => {
    const rec = byPath.get(path);
    return sums && rec?.hex !== undefined && sums.get(path) === rec.hex ? captured.get(path) : undefined;
  };
  problems.push(...checkMetadata(trusted));
  const index = parseIndex(trusted(INDEX_FILE), problems);
  const omitted = omittedBlobs(trusted(BUNDLE_META_FILE));
  if (index) {
    await guarded(problems, INDEX_FILE, () =>
      checkLayout(index, {
        blob(hex) {
          // A delta bundle leaves out what the enclave already has; push checks the registry holds it.
          const left = omitted.get(`sha256:${hex}`);
          if (left !== undefined && !byPath.has(blobPath(hex))) return { size: left, intact: true };
          const rec = byPath.get(blobPath(hex));
          if (!rec || rec.kind !== 'file' || rec.hex === undefined) return undefined;
          return { size: rec.size, intact: rec.hex === hex };
        },
        read: (hex) => {
          const rec = byPath.get(blobPath(hex)) as Scanned;
          if (rec.size > MAX_METADATA_BYTES) throw new Error(`${rec.size} bytes is too large for a manifest`);
          return readExactly(src, rec.offset, rec.size);
        },
      }),
    );
  }
  const lockBody = trusted(LOCK_FILE);
  if (lockBody) {
    await guarded(problems, LOCK_FILE, () =>
      checkLockAgainstIndex(
        lockBody,
        index,
        async (hex) => {
          const rec = byPath.get(blobPath(hex));
          if (!rec || rec.hex !== hex || rec.size > MAX_METADATA_BYTES) return undefined;
          return readExactly(src, rec.offset, rec.size);
        },
        (hex) => byPath.get(blobPath(hex))?.hex === hex || (omitted.has(`sha256:${hex}`) && !byPath.has(blobPath(hex))),
        // Read again from the file as it is decoded (an index of any size, never held), hashed on the way.
        (hex) => {
          const rec = byPath.get(blobPath(hex));
          if (!rec || rec.hex !== hex) return undefined;
          return verifiedStream(src.stream(rec.offset, rec.size), { digest: digestFromHex(hex), size: rec.size, subject: blobPath(hex) });
        },
      ),
    );
  }
  return result();
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

/**
 * Runs a content check over members an attacker may have crafted (with SHA256SUMS recomputed): whatever it trips
 * over — malformed JSON, a value of the wrong type — becomes a MALFORMED problem naming the member, never a crash.
 * Only an abort or an unreadable file is thrown.
 */
async function guarded(problems: Problem[], subject: string, check: () => Promise<Problem[]>): Promise<void> {
  try {
    problems.push(...(await check()));
  } catch (err) {
    if ((err as Error).name === 'AbortError' || isFerryError(err, 'IO_ERROR')) throw err;
    problems.push({
      path: damagedMember(err) ?? subject,
      code: 'MALFORMED',
      message: damagedMember(err)
        ? (err as Error).message
        : `${subject}: the bundle's content could not be checked: ${(err as Error).message}`,
    });
  }
}

/** What each member hashed to, for audit reports: path → sha256 and size (undefined sha256 when cut short). */
function contentsOf(scanned: Scanned[]): Map<string, { sha256?: string; size: number }> {
  return new Map(scanned.filter((s) => s.kind === 'file').map((s) => [s.path, { ...(s.hex ? { sha256: s.hex } : {}), size: s.size }]));
}

import { type KeyObject, createHash } from 'node:crypto';
import { type ByteSource, openBundleSource, readExactly } from '../bundle/byte-source.js';
import {
  BLOB_DIR,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_META_FILE,
  INDEX_FILE,
  LOCK_FILE,
  MAX_METADATA_BYTES,
  METADATA_FILES,
  OCI_LAYOUT_FILE,
  OCI_LAYOUT_VERSION,
  SIGNATURE_FILE,
  SUMS_FILE,
  blobHexFromPath,
  blobPath,
} from '../bundle/format.js';
import { PartsByteSource } from '../bundle/parts.js';
import { parseSha256Sums } from '../bundle/sha256sums.js';
import { isSafeEntryPath } from '../bundle/tar-format.js';
import { type EventSink, noEvents } from '../core/events.js';
import type { ImageIndex } from '../core/media-types.js';
import { checkLayout } from './layout-check.js';
import { checkLockAgainstIndex } from './lock-check.js';
import type { Problem, VerifyResult } from './problem.js';
import { type SignatureCheck, checkSignature } from '../trust/bundle-signature.js';
import { type EntrySink, TarStructureError, walkTar } from './tar-walk.js';

export type { Problem, ProblemCode, VerifyResult } from './problem.js';

export interface VerifyOptions {
  events?: EventSink;
  signal?: AbortSignal;
  /** The public key the bundle must be signed with; a missing, foreign or broken signature is then a problem. */
  publicKey?: KeyObject;
  /** Without a publicKey, an unsigned (or unchecked) bundle is a problem instead of a warning. */
  requireSignature?: boolean;
}

interface Scanned {
  path: string;
  size: number;
  offset: number;
  kind: 'file' | 'directory';
  /** sha256 of the data; undefined when the archive ended inside this member. */
  hex?: string;
}

/** Members read into memory during the scan, for the structural checks after it. */
const CAPTURED = new Set<string>([SUMS_FILE, SIGNATURE_FILE, ...METADATA_FILES]);
/** Directory entries a tool may add when repacking; harmless, so not reported. */
const ALLOWED_DIRS = new Set(['blobs/', BLOB_DIR]);

/**
 * Checks a bundle end to end (docs/bundle-format.md "Verifying"): one front-to-back pass hashes every member and
 * compares it with SHA256SUMS (which must come first), then the OCI layout is walked from index.json to make sure
 * every referenced blob is present. Damage is reported as problems, never thrown; only an unreadable file throws.
 */
export async function verifyBundle(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const src = await openBundleSource(path);
  try {
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
  let bytes = 0;

  const entry = (h: { path: string; size: number; kind: 'file' | 'directory' }, offset: number): EntrySink => {
    const rec: Scanned = { path: h.path, size: h.size, offset, kind: h.kind };
    const path = h.kind === 'directory' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
    rec.path = path;
    if (scanned.length === 0 && path !== SUMS_FILE) {
      problems.push({ path, code: 'MALFORMED', message: `the first entry is ${path}, not ${SUMS_FILE} (format v1 puts it first)` });
    }
    if (!isSafeEntryPath(path)) problems.push({ path, code: 'MALFORMED', message: `entry ${JSON.stringify(path)} has an unsafe path` });
    if (byPath.has(path)) problems.push({ path, code: 'MALFORMED', message: `${path} appears twice in the archive` });
    scanned.push(rec);
    byPath.set(path, rec);
    if (h.kind === 'directory') return { data() {}, end() {} };
    const hash = createHash('sha256');
    let keep: Buffer[] | undefined;
    if (CAPTURED.has(path)) {
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
        events({ type: 'bytes', n });
      },
    });
  } catch (err) {
    if (!(err instanceof TarStructureError)) throw err;
    problems.push({ path: err.entryPath ?? src.name, code: 'MALFORMED', message: `${src.name}: ${err.message}` });
  }

  // A split bundle: name each part whose bytes are not what its parts list says, so only it is copied again.
  if (src instanceof PartsByteSource) {
    for (const p of src.partProblems()) {
      problems.push({ path: p.part, code: 'DIGEST_MISMATCH', expected: p.expected, actual: p.actual, message: `part ${p.part}: sha256 ${p.actual}, the parts list says ${p.expected}: copy this part again` });
    }
  }
  const sums = readSums(byPath, captured, problems);
  if (sums) problems.push(...compareWithSums(scanned, byPath, sums));
  for (const f of METADATA_FILES) {
    if (!byPath.has(f) && !sums?.has(f)) problems.push({ path: f, code: 'MISSING', message: `${f} is missing (required by bundle format v1)` });
  }
  problems.push(...checkMetadata(captured));
  const index = parseIndex(captured.get(INDEX_FILE), problems);
  const omitted = omittedBlobs(captured.get(BUNDLE_META_FILE));
  if (index) {
    problems.push(
      ...(await checkLayout(index, {
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
      })),
    );
  }
  const lockBody = captured.get(LOCK_FILE);
  if (lockBody) {
    problems.push(
      ...(await checkLockAgainstIndex(lockBody, index, async (hex) => {
        const rec = byPath.get(blobPath(hex));
        if (!rec || rec.hex !== hex || rec.size > MAX_METADATA_BYTES) return undefined;
        return readExactly(src, rec.offset, rec.size);
      })),
    );
  }
  const signature = checkSignature(captured.get(SIGNATURE_FILE), captured.get(SUMS_FILE), opts.publicKey);
  const sigProblem = signatureProblem(signature, opts);
  if (sigProblem) problems.push(sigProblem);
  else if (signature.status !== 'valid') {
    events({ type: 'warning', message: signature.status === 'unsigned' ? 'the bundle is unsigned' : `the bundle is signed by ${signature.keyFingerprint}, not checked: give --key` });
  }
  return { ok: problems.length === 0, entries: scanned.length, bytes, problems, signature, contents: contentsOf(scanned) };
}

function omittedBlobs(meta: Buffer | undefined): Map<string, number> {
  try {
    const m = JSON.parse(meta?.toString('utf8') ?? '{}') as { delta?: { omitted?: { digest: string; size: number }[] } };
    return new Map((m.delta?.omitted ?? []).map((o) => [o.digest, o.size]));
  } catch {
    return new Map(); // a malformed ferry-bundle.json is reported by checkMetadata
  }
}

/** What each member hashed to, for audit reports: path → sha256 and size (undefined sha256 when cut short). */
function contentsOf(scanned: Scanned[]): Map<string, { sha256?: string; size: number }> {
  return new Map(scanned.filter((s) => s.kind === 'file').map((s) => [s.path, { ...(s.hex ? { sha256: s.hex } : {}), size: s.size }]));
}

function signatureProblem(sig: SignatureCheck, opts: VerifyOptions): Problem | undefined {
  if (sig.status === 'invalid') return { path: SIGNATURE_FILE, code: 'SIGNATURE_INVALID', message: `the bundle signature is not valid: ${sig.reason}` };
  if (opts.publicKey && sig.status === 'unsigned') return { path: SIGNATURE_FILE, code: 'SIGNATURE_INVALID', message: 'the bundle is not signed, and --key asks for a signature' };
  if (opts.requireSignature && sig.status !== 'valid') {
    return { path: SIGNATURE_FILE, code: 'SIGNATURE_INVALID', message: sig.status === 'unsigned' ? 'the bundle is not signed (--require-signature)' : 'the signature cannot be checked without --key (--require-signature)' };
  }
  return undefined;
}

function readSums(byPath: Map<string, Scanned>, captured: Map<string, Buffer>, problems: Problem[]): Map<string, string> | undefined {
  const body = captured.get(SUMS_FILE);
  if (!body) {
    // Absent, cut short or oversized (the last two are already reported): nothing to compare against.
    if (!byPath.has(SUMS_FILE)) problems.push({ path: SUMS_FILE, code: 'MISSING', message: `${SUMS_FILE} is missing: contents cannot be checked` });
    return undefined;
  }
  try {
    const sums = parseSha256Sums(body);
    if (sums.has(SUMS_FILE)) problems.push({ path: SUMS_FILE, code: 'MALFORMED', message: `${SUMS_FILE} lists itself` });
    return sums;
  } catch (err) {
    problems.push({ path: SUMS_FILE, code: 'MALFORMED', message: (err as Error).message });
    return undefined;
  }
}

function compareWithSums(scanned: Scanned[], byPath: Map<string, Scanned>, sums: Map<string, string>): Problem[] {
  const problems: Problem[] = [];
  for (const rec of scanned) {
    const { path } = rec;
    if (path === SUMS_FILE || path === SIGNATURE_FILE) continue; // the signature cannot be listed in what it signs
    if (rec.kind === 'directory') {
      if (!ALLOWED_DIRS.has(path)) problems.push({ path, code: 'UNEXPECTED', message: `directory ${path} is not part of a bundle` });
      continue;
    }
    const expected = sums.get(path);
    if (expected === undefined) {
      problems.push({ path, code: 'UNEXPECTED', message: `${path} is in the archive but not listed in ${SUMS_FILE}` });
      continue;
    }
    if (rec.hex !== undefined && rec.hex !== expected) {
      problems.push({ path, code: 'DIGEST_MISMATCH', expected, actual: rec.hex, message: `${path}: content hashes to ${rec.hex}, ${SUMS_FILE} says ${expected}` });
    }
    if (path.startsWith(BLOB_DIR)) {
      const name = blobHexFromPath(path);
      if (name === undefined) {
        problems.push({ path, code: 'BLOB_NAME_MISMATCH', actual: expected, message: `${path} is not named by a sha256 hex digest` });
      } else if (name !== expected) {
        problems.push({ path, code: 'BLOB_NAME_MISMATCH', expected: name, actual: expected, message: `${path}: ${SUMS_FILE} lists it with hash ${expected}, not its name` });
      }
    }
  }
  for (const [path, hex] of sums) {
    if (path !== SUMS_FILE && !byPath.has(path)) problems.push({ path, code: 'MISSING', expected: hex, message: `${path} is listed in ${SUMS_FILE} but not in the archive` });
  }
  return problems;
}

function parseJson(body: Buffer | undefined, path: string, problems: Problem[]): Record<string, unknown> | undefined {
  if (!body) return undefined;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  problems.push({ path, code: 'MALFORMED', message: `${path} is not a JSON object` });
  return undefined;
}

function checkMetadata(captured: Map<string, Buffer>): Problem[] {
  const problems: Problem[] = [];
  const layout = parseJson(captured.get(OCI_LAYOUT_FILE), OCI_LAYOUT_FILE, problems);
  if (layout && layout.imageLayoutVersion !== OCI_LAYOUT_VERSION) {
    problems.push({ path: OCI_LAYOUT_FILE, code: 'MALFORMED', expected: OCI_LAYOUT_VERSION, actual: String(layout.imageLayoutVersion), message: `${OCI_LAYOUT_FILE}: imageLayoutVersion is not ${OCI_LAYOUT_VERSION}` });
  }
  const meta = parseJson(captured.get(BUNDLE_META_FILE), BUNDLE_META_FILE, problems);
  if (meta && meta.formatVersion !== BUNDLE_FORMAT_VERSION) {
    problems.push({ path: BUNDLE_META_FILE, code: 'MALFORMED', expected: BUNDLE_FORMAT_VERSION, actual: String(meta.formatVersion), message: `${BUNDLE_META_FILE}: formatVersion is not ${BUNDLE_FORMAT_VERSION}` });
  }
  // The lock is parsed and compared with index.json by checkLockAgainstIndex.
  return problems;
}

function parseIndex(body: Buffer | undefined, problems: Problem[]): ImageIndex | undefined {
  const index = parseJson(body, INDEX_FILE, problems);
  if (!index) return undefined;
  if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
    problems.push({ path: INDEX_FILE, code: 'MALFORMED', message: `${INDEX_FILE} is not an OCI image index (schemaVersion 2 with manifests[])` });
    return undefined;
  }
  return index as unknown as ImageIndex;
}

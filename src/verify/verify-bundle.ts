import { type ByteSource, readExactly } from '../bundle/byte-source.js';
import { openBundleSource } from '../bundle/open-bundle.js';
import { assertFerryBundle } from '../bundle/identify.js';
import {
  BUNDLE_META_FILE,
  INDEX_FILE,
  LOCK_FILE,
  MAX_METADATA_BYTES,
  METADATA_FILES,
  SBOM_FILE,
  SUMS_FILE,
  blobPath,
} from '../bundle/format.js';
import { damagedMember } from '../bundle/member-json.js';
import { digestFromHex, verifiedStream } from '../core/digest.js';
import { isFerryError } from '../core/errors.js';
import { checkLayout } from './layout-check.js';
import { checkLockAgainstIndex } from './lock-check.js';
import { checkMetadata, omittedBlobs, parseIndex } from './metadata-check.js';
import { checkSbomMember } from './sbom-check.js';
import type { Problem, VerifyResult } from './problem.js';
import { type Scanned, compareWithSums, readSums } from './sums-check.js';
import { type PassOptions, runPass } from './verify-pass.js';

export type { Problem, ProblemCode, VerifyResult } from './problem.js';

export type VerifyOptions = PassOptions;

/**
 * Checks a bundle end to end (docs/bundle-format.md "Verifying") in one pass, hashed on every core (verify-pass.ts). SHA256SUMS and its
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
  const problems: Problem[] = [];
  const { scanned, byPath, captured, trailing, bytes, verdict, partProblems } = await runPass(src, opts, problems);
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
  for (const p of partProblems) {
    problems.push({
      path: p.part,
      code: 'DIGEST_MISMATCH',
      expected: p.expected,
      actual: p.actual,
      message: `part ${p.part}: sha256 ${p.actual}, the parts list says ${p.expected}: copy this part again`,
    });
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
  // The bundle's SBOM against the one its other members make (when they are intact: their damage is reported above).
  await guarded(problems, SBOM_FILE, () =>
    checkSbomMember({
      sbom: trusted(SBOM_FILE),
      present: byPath.has(SBOM_FILE) || sums?.has(SBOM_FILE) === true,
      sums: captured.get(SUMS_FILE),
      meta: trusted(BUNDLE_META_FILE),
      lock: lockBody,
      index,
      read: async (hex) => {
        const rec = byPath.get(blobPath(hex));
        if (!rec || rec.hex !== hex || rec.size > MAX_METADATA_BYTES) return undefined;
        return readExactly(src, rec.offset, rec.size);
      },
      ...(opts.events ? { events: opts.events } : {}),
    }),
  );
  return result();
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

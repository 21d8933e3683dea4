import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BundleReader } from '../bundle/reader.js';
import {
  BUNDLE_META_FILE,
  INDEX_FILE,
  LOCK_FILE,
  MAX_METADATA_BYTES,
  SMALL_FILES,
  SIGNATURE_FILE,
  SUMS_FILE,
  blobPath,
} from '../bundle/format.js';
import { type Digest, digestFromHex, verifiedStream } from '../core/digest.js';
import { isFerryError } from '../core/errors.js';
import { damagedMember } from '../bundle/member-json.js';
import { checkFront } from './front-check.js';
import { checkLayout } from './layout-check.js';
import { checkLockAgainstIndex } from './lock-check.js';
import { checkMetadata, omittedBlobs, parseIndex } from './metadata-check.js';
import type { Problem, VerifyResult } from './problem.js';
import { type Scanned, compareWithSums, readSums } from './sums-check.js';
import type { VerifyOptions } from './verify-bundle.js';

/**
 * What `ferry bundle push` checks before it sends anything (docs/security.md "What push checks"): everything the
 * verify pass (verify-bundle.ts) checks that needs only the small members, over the tar index the push reads from
 * (bundle/tar-index.ts decodes the same ustar headers as the verify walk, so every member is where verify finds it).
 * The front (SHA256SUMS and its signature) is judged first, as verify judges it; then the tar index against
 * SHA256SUMS both ways (every member listed, every blob listed under its own name, no line without a member); the
 * metadata members, the manifests reachable from index.json and what the lock's chains read are hashed and compared
 * with SHA256SUMS before they are parsed. What it does not read: the other blobs. Each of those is hashed against
 * its name (which SHA256SUMS vouches for, above) as it is uploaded (graph/copy.ts); one the registry already has is
 * not read at all. Damage is returned as problems, never thrown, as verifyBundle returns it.
 */
export async function checkBeforePush(reader: BundleReader, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const events = opts.events ?? (() => {});
  const problems: Problem[] = [];
  const scanned: Scanned[] = reader.entries.map((e) => ({ path: e.path, size: e.size, offset: e.offset, kind: e.kind }));
  const byPath = new Map(scanned.map((s) => [s.path, s]));
  let bytes = 0;
  const bodies = new Map<string, Buffer>();
  const readHashed = async (rec: Scanned): Promise<Buffer> => {
    const known = bodies.get(rec.path);
    if (known) return known;
    opts.signal?.throwIfAborted();
    const body = await reader.readSmall(rec.path, MAX_METADATA_BYTES);
    bytes += body.length;
    rec.hex = createHash('sha256').update(body).digest('hex');
    bodies.set(rec.path, body);
    return body;
  };
  const result = (signature: VerifyResult['signature']): VerifyResult => ({
    ok: problems.length === 0,
    entries: scanned.length,
    bytes,
    problems,
    signature,
    contents: new Map(scanned.filter((s) => s.kind === 'file').map((s) => [s.path, { ...(s.hex ? { sha256: s.hex } : {}), size: s.size }])),
  });

  // The front, positioned as format v1 puts it (the same problems as the verify pass).
  const first = scanned[0];
  if (first && first.path !== SUMS_FILE)
    problems.push({
      path: first.path,
      code: 'MALFORMED',
      message: `the first entry is ${first.path}, not ${SUMS_FILE} (format v1 puts it first)`,
    });
  const sigAt = scanned.findIndex((s) => s.path === SIGNATURE_FILE);
  if (sigAt >= 0 && (sigAt !== 1 || first?.path !== SUMS_FILE)) {
    problems.push({
      path: SIGNATURE_FILE,
      code: 'MALFORMED',
      message: `${SIGNATURE_FILE} is entry ${sigAt + 1} of the archive; format v1 puts it right after ${SUMS_FILE}, so it is not taken as the bundle signature`,
    });
  }
  const small = async (rec: Scanned | undefined): Promise<Buffer | undefined> => {
    if (!rec || rec.kind !== 'file') return undefined;
    if (rec.size > MAX_METADATA_BYTES) {
      problems.push({
        path: rec.path,
        code: 'MALFORMED',
        message: `${rec.path} is ${rec.size} bytes, more than the ${MAX_METADATA_BYTES} allowed`,
      });
      return undefined;
    }
    return readHashed(rec);
  };
  const sumsBody = first?.path === SUMS_FILE ? await small(first) : undefined;
  const sigBody = sigAt === 1 && first?.path === SUMS_FILE ? await small(scanned[1]) : undefined;
  const front = checkFront(sumsBody, sigBody, opts);
  if (front.problem) {
    problems.push(front.problem);
    return result(front.signature); // nothing SHA256SUMS vouches for can be trusted: read none of it
  }
  if (front.warning) events({ type: 'warning', message: front.warning });

  const sums = readSums(sumsBody, byPath.has(SUMS_FILE), problems);
  for (const f of SMALL_FILES) await small(byPath.get(f));
  // Parsed only when its bytes are the ones SHA256SUMS lists (a mismatch is reported by compareWithSums below).
  const trusted = (path: string): Buffer | undefined => {
    const rec = byPath.get(path);
    return sums && rec?.hex !== undefined && sums.get(path) === rec.hex ? bodies.get(path) : undefined;
  };
  problems.push(...checkMetadata(trusted));
  const index = parseIndex(trusted(INDEX_FILE), problems);
  const omitted = omittedBlobs(trusted(BUNDLE_META_FILE));
  // A blob read here (a manifest, what a chain reads) counts only when it hashes to its name; the others are
  // vouched for by name here and hashed as they are uploaded.
  const damagedBlob = new Set<string>();
  const readBlob = async (hex: string): Promise<Buffer | undefined> => {
    const rec = byPath.get(blobPath(hex));
    if (!rec || rec.kind !== 'file' || rec.size > MAX_METADATA_BYTES) return undefined;
    const body = await readHashed(rec);
    if (rec.hex === hex) return body;
    damagedBlob.add(rec.path);
    return undefined;
  };
  if (index) {
    const layout = await guarded(INDEX_FILE, () =>
      checkLayout(index, {
        blob(hex) {
          const left = omitted.get(`sha256:${hex}`);
          if (left !== undefined && !byPath.has(blobPath(hex))) return { size: left, intact: true };
          const rec = byPath.get(blobPath(hex));
          if (!rec || rec.kind !== 'file') return undefined;
          return { size: rec.size, intact: !damagedBlob.has(rec.path) };
        },
        read: async (hex) => {
          const body = await readBlob(hex);
          if (!body) throw new Error('its content does not hash to its name');
          return body;
        },
      }),
    );
    // A manifest that does not hash to its name is reported once, as the DIGEST_MISMATCH compareWithSums finds.
    problems.push(...layout.filter((p) => !(p.code === 'MALFORMED' && damagedBlob.has(p.path))));
  }
  const lockBody = trusted(LOCK_FILE);
  if (lockBody) {
    const stream = (hex: string): AsyncIterable<Buffer> | undefined => {
      const rec = byPath.get(blobPath(hex));
      if (!rec || rec.kind !== 'file') return undefined;
      const digest = digestFromHex(hex) as Digest;
      const desc = { digest, size: rec.size, mediaType: 'application/octet-stream' };
      return Readable.from(
        (async function* () {
          const source = await reader.fetch(desc);
          source.on('data', (c: Buffer) => (bytes += c.length));
          yield* verifiedStream(source, { digest, size: rec.size, subject: rec.path });
        })(),
      );
    };
    problems.push(
      ...(await guarded(LOCK_FILE, () =>
        checkLockAgainstIndex(lockBody, index, readBlob, (hex) => !damagedBlob.has(blobPath(hex)), stream),
      )),
    );
  }
  if (sums) problems.push(...compareWithSums(scanned, byPath, sums));
  return result(front.signature);
}

/** As verify-bundle.ts's guard: whatever a crafted member trips over becomes a MALFORMED problem naming it. */
async function guarded(subject: string, check: () => Promise<Problem[]>): Promise<Problem[]> {
  try {
    return await check();
  } catch (err) {
    if ((err as Error).name === 'AbortError' || isFerryError(err, 'IO_ERROR')) throw err;
    const member = damagedMember(err);
    return [
      {
        path: member ?? subject,
        code: 'MALFORMED',
        message: member ? (err as Error).message : `${subject}: the bundle's content could not be checked: ${(err as Error).message}`,
      },
    ];
  }
}

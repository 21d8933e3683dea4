import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { FerryError } from './errors.js';

/**
 * A validated content digest, `sha256:<64 lowercase hex>` (image-spec descriptor.md "Digests": ferry accepts only
 * the registered sha256 algorithm, which every registry and RKE2/Helm/apt checksum we consume uses).
 */
export type Digest = string & { readonly __brand: 'Digest' };

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;
const HEX64_RE = /^[a-f0-9]{64}$/;

export function parseDigest(value: string, what = 'digest'): Digest {
  if (!SHA256_RE.test(value)) {
    throw new FerryError('DIGEST_INVALID', `invalid ${what} "${value}": expected sha256:<64 lowercase hex>`, { value });
  }
  return value as Digest;
}

export function isDigest(value: string): value is Digest {
  return SHA256_RE.test(value);
}

/** Accepts a bare hex sha256 (checksum files, Helm index digests) and returns the digest form. */
export function digestFromHex(hex: string, what = 'sha256'): Digest {
  const lower = hex.toLowerCase();
  if (!HEX64_RE.test(lower)) throw new FerryError('DIGEST_INVALID', `invalid ${what} "${hex}": expected 64 hex digits`, { value: hex });
  return `sha256:${lower}` as Digest;
}

export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}

export interface Expected {
  digest: Digest;
  /** Known size in bytes; undefined when the source did not vouch for one. */
  size?: number;
  /** Names the thing being checked in error messages (an artifact, a URL). */
  subject: string;
}

/**
 * The one verifier: hashes bytes as they pass and checks digest and size at the end. Everything that brings bytes
 * in (registry, file server, bundle) goes through it, so no unverified byte is ever committed. VerifyingStream is
 * its stream form; code that must control writes itself (resumable downloads) calls it directly.
 */
export class DigestVerifier {
  private readonly hash: Hash;
  private seen: number;

  constructor(
    private readonly expected: Expected,
    resumeFrom?: { hash: Hash; size: number },
  ) {
    this.hash = resumeFrom?.hash ?? createHash('sha256');
    this.seen = resumeFrom?.size ?? 0;
  }

  /** Throws as soon as more bytes arrive than the expected size. */
  update(chunk: Buffer): void {
    this.seen += chunk.length;
    if (this.expected.size !== undefined && this.seen > this.expected.size) throw sizeError(this.expected, this.seen, 'more than');
    this.hash.update(chunk);
  }

  /** Throws unless the bytes seen are exactly the expected size and digest. */
  finish(): void {
    if (this.expected.size !== undefined && this.seen !== this.expected.size) throw sizeError(this.expected, this.seen, 'only');
    const actual = `sha256:${this.hash.digest('hex')}` as Digest;
    if (actual !== this.expected.digest) {
      throw new FerryError(
        'DIGEST_MISMATCH',
        `${this.expected.subject}: digest mismatch: expected ${this.expected.digest}, got ${actual}`,
        {
          subject: this.expected.subject,
          expected: this.expected.digest,
          actual,
        },
      );
    }
  }

  get bytes(): number {
    return this.seen;
  }
}

export class VerifyingStream extends Transform {
  private readonly verifier: DigestVerifier;

  constructor(expected: Expected, resumeFrom?: { hash: Hash; size: number }) {
    super();
    this.verifier = new DigestVerifier(expected, resumeFrom);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.verifier.update(chunk);
    } catch (err) {
      cb(err as Error);
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.verifier.finish();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  get bytes(): number {
    return this.verifier.bytes;
  }
}

function sizeError(e: Expected, seen: number, how: string): FerryError {
  return new FerryError('SIZE_MISMATCH', `${e.subject}: size mismatch: expected ${e.size} bytes, got ${how} ${seen}`, {
    subject: e.subject,
    expected: e.size,
    actual: seen,
  });
}

/**
 * `source` piped through a VerifyingStream, with the source's errors carried over: `pipe()` alone leaves them on a
 * stream nobody listens to, which crashes the process when, say, the connection is closed under it.
 */
export function verifiedStream(source: import('node:stream').Readable, expected: Expected): VerifyingStream {
  const verify = new VerifyingStream(expected);
  source.on('error', (err) => verify.destroy(err));
  return source.pipe(verify);
}

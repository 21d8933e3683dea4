import { digestHex } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import type { Descriptor } from '../core/media-types.js';
import { readVerified } from '../graph/copy.js';
import type { ReadOnlyStorage } from '../graph/storage.js';
import { blobPath } from './format.js';

/**
 * Parses a JSON member of a bundle (ferry-bundle.json, index.json, ferry.lock.json, oci-layout, a manifest blob, a
 * table of contents): bytes from a bundle are untrusted until verified, and even verified bytes may be an attacker's
 * whose SHA256SUMS was recomputed. Every such member is a JSON object (image-spec, docs/bundle-format.md), so anything
 * else — broken JSON, `null`, an array — is damage: INTEGRITY_FAILED (exit 3) naming the member, never a raw
 * SyntaxError or a TypeError further on.
 */
export function parseMemberJson<T = Record<string, unknown>>(body: Buffer | Uint8Array, member: string, bundle?: string): T {
  const where = bundle ? `${bundle}: ${member}` : member;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw damaged(`${where} is not valid JSON (${(err as Error).message})`, member, bundle);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw damaged(
      `${where} is not a JSON object (it is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`})`,
      member,
      bundle,
    );
  }
  return value as T;
}

/** A member whose content is not what the format says (also for well-formed JSON of the wrong shape). */
export function damaged(message: string, member: string, bundle?: string): FerryError {
  return new FerryError('INTEGRITY_FAILED', `${message}: the bundle is damaged or was altered; copy it again from its source`, {
    member,
    ...(bundle ? { path: bundle } : {}),
  });
}

/** The member a damage error names, when `err` is one (for verify, which reports problems instead of throwing). */
export function damagedMember(err: unknown): string | undefined {
  return err instanceof FerryError && err.code === 'INTEGRITY_FAILED' && typeof err.details.member === 'string'
    ? err.details.member
    : undefined;
}

/** A JSON blob of a bundle (a manifest, a config): read, checked against its descriptor, parsed as above. */
export async function readMemberJson<T = Record<string, unknown>>(src: ReadOnlyStorage, desc: Descriptor, subject: string): Promise<T> {
  const bundle = (src as { path?: unknown }).path;
  return parseMemberJson<T>(
    await readVerified(src, desc, subject),
    blobPath(digestHex(desc.digest)),
    typeof bundle === 'string' ? bundle : undefined,
  );
}

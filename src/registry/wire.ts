import { type Digest, isDigest, sha256 } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import type { Descriptor } from '../core/media-types.js';
import { BodyLimit } from './http-limits.js';
import { readBounded } from './read-body.js';
import type { HttpResponse } from './transport.js';

/** Small readers of the distribution API's answers, shared by the client's calls (registry/client.ts). */

/**
 * What a manifest PUT answered: the digest of the bytes sent, and the `OCI-Subject` header a registry with the
 * referrers API sends for a manifest with a `subject` (distribution-spec v1.1 "Pushing Manifests with Subject").
 */
export interface PutManifest {
  digest: Digest;
  ociSubject?: string;
}

/**
 * Collects `key` from every page of a Link-paginated list (distribution-spec "Listing Tags", RFC 8288): each page
 * read within BodyLimit.listPage, the next page's URL resolved against the current one.
 */
export async function collectPages(
  get: (path: string) => Promise<HttpResponse>,
  firstUrl: string,
  first: string,
  what: string,
  key: string,
  failure: (res: HttpResponse) => Promise<Error>,
): Promise<string[]> {
  const items: string[] = [];
  let path = first;
  let url = firstUrl;
  for (let page = 0; page < 10_000; page++) {
    const res = await get(path);
    if (res.status !== 200) throw await failure(res);
    const json = parseJson(await readBounded(res, BodyLimit.listPage, what), what) as Record<string, string[] | null | undefined>;
    items.push(...(json[key] ?? []));
    const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.link ?? '');
    if (!next?.[1]) return items;
    path = url = new URL(next[1], url).toString();
  }
  return items;
}

export function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new FerryError('REGISTRY_ERROR', `${what}: the registry's answer is not JSON: ${(err as Error).message}`, {});
  }
}

/** The upload Location may be relative and carries state in its query; resolve it, never rebuild it. */
export function uploadLocation(res: HttpResponse, what: string): string {
  const loc = res.headers.location;
  if (!loc) throw new FerryError('REGISTRY_ERROR', `${what}: registry sent no upload Location`, {});
  return new URL(loc, res.url).toString();
}

export function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

/**
 * A manifest as fetched: its media type from Content-Type (or the body's own `mediaType` behind a generic
 * application/json), which must agree with what the body declares; its digest computed from the bytes, which must
 * be the one asked for and the one the registry names in Docker-Content-Digest.
 */
export function checkedManifest(what: string, reference: string, res: HttpResponse, body: Buffer): Descriptor {
  const digest = sha256(body);
  let declared: string | undefined;
  try {
    declared = (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType;
  } catch {
    throw new FerryError('REGISTRY_ERROR', `${what}: manifest is not JSON`, { ref: what });
  }
  const contentType = (res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const mediaType = contentType && contentType !== 'application/json' ? contentType : (declared ?? '');
  if (declared !== undefined && declared !== mediaType) {
    throw new FerryError('REGISTRY_ERROR', `${what}: served as ${mediaType} but the manifest says ${declared}`, { ref: what });
  }
  for (const expected of [isDigest(reference) ? reference : undefined, res.headers['docker-content-digest']]) {
    if (expected !== undefined && expected !== digest) {
      throw new FerryError('DIGEST_MISMATCH', `${what}: manifest digest mismatch: expected ${expected}, got ${digest}`, {
        ref: what,
        expected,
        actual: digest,
      });
    }
  }
  return { mediaType, digest, size: body.length };
}

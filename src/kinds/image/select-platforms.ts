import { type Digest, sha256 } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import {
  type Descriptor,
  type ImageIndex,
  type Platform,
  formatPlatform,
  isIndexType,
  parsePlatform,
  platformMatches,
} from '../../core/media-types.js';

/** What the bundle stores for one image entry: the root to copy, plus bytes ferry made itself (a filtered index). */
export interface Selection {
  root: Descriptor;
  /** Set when the root is a rewritten index that exists nowhere upstream. */
  syntheticBody?: Buffer;
  /** Platforms the upstream index offers (images only; attestations left out). */
  upstreamPlatforms?: string[];
}

/**
 * Chooses what to keep from an upstream manifest or index for the requested platforms. Pure: given the same
 * upstream bytes and request it returns the same digests, which is how `--lock` re-derives a rewritten index.
 *  - `all`: the upstream root unchanged (every child, digests preserved).
 *  - one platform of an index: the upstream child manifest itself, byte for byte (as `docker pull --platform`).
 *  - several: a new index holding only those children, in upstream order; its digest is new, and the caller
 *    records the upstream index digest beside it.
 * A single-platform manifest is checked against its config by the caller (see checkConfigPlatform).
 */
export function selectPlatforms(subject: string, upstream: Descriptor, body: Buffer, platforms: 'all' | string[]): Selection {
  if (!isIndexType(upstream.mediaType)) return { root: stripDescriptor(upstream) };
  const index = JSON.parse(body.toString('utf8')) as ImageIndex;
  const images = index.manifests.filter((m) => !isAttestation(m));
  const upstreamPlatforms = images.filter((m) => m.platform).map((m) => formatPlatform(m.platform as Platform));
  if (platforms === 'all') return { root: stripDescriptor(upstream), upstreamPlatforms };

  const chosen: Descriptor[] = [];
  for (const want of platforms) {
    const p = parsePlatform(want);
    const match = images.find((m) => platformMatches(m.platform, p));
    if (!match) {
      throw new FerryError(
        'PLATFORM_MISSING',
        `${subject}: no ${want} image; it has ${upstreamPlatforms.join(', ') || 'no platform entries'}`,
        { image: subject, wanted: want, available: upstreamPlatforms },
      );
    }
    if (!chosen.includes(match)) chosen.push(match);
  }
  if (chosen.length === 1) {
    const only = chosen[0] as Descriptor;
    return { root: { mediaType: only.mediaType, digest: only.digest, size: only.size }, upstreamPlatforms };
  }
  const kept = index.manifests.filter((m) => chosen.includes(m));
  const syntheticBody = Buffer.from(JSON.stringify({ ...index, manifests: kept }));
  const root: Descriptor = { mediaType: upstream.mediaType, digest: sha256(syntheticBody), size: syntheticBody.length };
  return { root, syntheticBody, upstreamPlatforms };
}

/** Attestation manifests (buildx provenance/SBOM) ride along in indexes but are not runnable images. */
function isAttestation(m: Descriptor): boolean {
  return m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || m.platform?.os === 'unknown';
}

function stripDescriptor(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest as Digest, size: d.size };
}

/** A single-platform image must be the platform asked for (its config says which); several can never be met. */
export function checkConfigPlatform(
  subject: string,
  config: { os?: string; architecture?: string; variant?: string },
  platforms: 'all' | string[],
): void {
  if (platforms === 'all') return;
  const have: Platform = {
    os: config.os ?? '?',
    architecture: config.architecture ?? '?',
    ...(config.variant ? { variant: config.variant } : {}),
  };
  const missing = platforms.filter((w) => !platformMatches(have, parsePlatform(w)));
  if (missing.length > 0) {
    throw new FerryError(
      'PLATFORM_MISSING',
      `${subject}: no ${missing.join(', ')} image; it is a single-platform ${formatPlatform(have)} image`,
      {
        image: subject,
        wanted: missing,
        available: [formatPlatform(have)],
      },
    );
  }
}

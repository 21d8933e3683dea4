import { createHash } from 'node:crypto';

/** RFC 4122 appendix C: the name space ID for URLs (URIs), 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
const URL_NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/**
 * A name-based UUID, version 5 (RFC 4122 section 4.3): SHA-1 over the name space ID and the name, its version and
 * variant bits set. The same name always gives the same UUID, so the same bundle gives the same SBOM serial number.
 */
export function uuidV5(name: string, namespace: Buffer = URL_NAMESPACE): string {
  const h = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The SBOM's `serialNumber` (CycloneDX: `urn:uuid:<RFC 4122 UUID>`), named by the bundle's content identity. */
export function serialNumberFor(sumsSha256: string): string {
  return `urn:uuid:${uuidV5(`urn:ferry:bundle:sha256sums:${sumsSha256}`)}`;
}

import type { Digest } from '../../core/digest.js';

/**
 * The payload cosign signs (sigstore/cosign specs/SIGNATURE_SPEC.md "Payload", the Red Hat simple-signing format):
 * `{"critical": {"identity": {"docker-reference": …}, "image": {"docker-manifest-digest": "sha256:…"},
 * "type": "cosign container image signature"}, "optional": {…}}`, stored as a layer of media type
 * `application/vnd.dev.cosign.simplesigning.v1+json` whose `dev.cosignproject.cosign/signature` annotation holds the
 * base64 signature over the layer's exact bytes.
 */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigning {
  digest: string;
  dockerReference: string;
}

/** The payload's claims, or why it is not a cosign payload for `subject` (the caller has checked the signature). */
export function checkSimpleSigning(bytes: Buffer, subject: Digest): SimpleSigning | string {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'the signed payload is not JSON';
  }
  const critical = (doc as { critical?: unknown } | null)?.critical as
    { type?: unknown; image?: { 'docker-manifest-digest'?: unknown }; identity?: { 'docker-reference'?: unknown } } | undefined;
  if (typeof critical !== 'object' || critical === null) return 'the signed payload has no "critical" section';
  if (critical.type !== COSIGN_SIGNATURE_TYPE)
    return `the signed payload's type is ${JSON.stringify(critical.type)}, not "${COSIGN_SIGNATURE_TYPE}"`;
  const digest = critical.image?.['docker-manifest-digest'];
  if (typeof digest !== 'string') return 'the signed payload names no docker-manifest-digest';
  // The signature must be about this image: a valid signature of another digest copied beside it proves nothing.
  if (digest !== subject) return `the signed payload names another digest (${digest}, not ${subject})`;
  const ref = critical.identity?.['docker-reference'];
  return { digest, dockerReference: typeof ref === 'string' ? ref : '' };
}

import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Cosign public keys and signature checks (sigstore/cosign specs/SIGNATURE_SPEC.md): keys are PEM SubjectPublicKeyInfo;
 * an ECDSA P-256 signature is ASN.1 DER over SHA-256 of the message; an Ed25519 signature is over the message itself
 * (pure Ed25519, RFC 8032). Other key types are refused rather than guessed at.
 */
export function parsePublicKey(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return key;
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return key;
  throw new Error(
    `unsupported key type ${type}${type === 'ec' ? ` (${key.asymmetricKeyDetails?.namedCurve})` : ''}: expected ECDSA P-256 or Ed25519`,
  );
}

/** True when `sig` is a valid signature by `key` over exactly `message`. Never throws on a malformed signature. */
export function verifySignature(key: KeyObject, message: Buffer, sig: Buffer): boolean {
  try {
    if (key.asymmetricKeyType === 'ed25519') return verify(null, message, key, sig);
    return verify('sha256', message, { key, dsaEncoding: 'der' }, sig);
  } catch {
    return false;
  }
}

/** Base64 as cosign writes it (standard alphabet); undefined when it is not base64. */
export function base64(text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length === 0) return undefined;
  return Buffer.from(t, 'base64');
}

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { FerryError } from '../core/errors.js';

/**
 * Bundle signatures (docs/security.md "Signing"): an Ed25519 signature over the bundle's SHA256SUMS, which lists the
 * sha256 of every other entry, so it covers the whole bundle. It is stored as `SHA256SUMS.sig` right after
 * SHA256SUMS in the bundle and beside it as `<bundle>.sig`. Keys are PEM (PKCS#8 private, SPKI public); a key's
 * fingerprint is the sha256 of its SPKI DER encoding.
 *
 * Envelope v2 carries the signer's public key, so a signature can be checked for consistency (it is valid for THIS
 * SHA256SUMS, under the key its fingerprint names) without `--key`; only `--key` says whether that key is trusted.
 * Envelope v1 (bundles made before) has no key: without `--key` it cannot be checked at all.
 */
export interface SignatureFile {
  signatureVersion: 1 | 2;
  algorithm: 'ed25519';
  /** What was signed: the SHA256SUMS member, by its sha256 (hex). */
  signed: { file: 'SHA256SUMS'; sha256: string };
  keyFingerprint: string;
  /** v2: the signer's public key, PEM (SPKI). */
  publicKey?: string;
  /** When the bundle was signed (informational: not itself covered by the signature). */
  created: string;
  tool: string;
  /** base64 Ed25519 signature over the SHA256SUMS bytes. */
  signature: string;
}

const common = {
  algorithm: z.literal('ed25519'),
  signed: z.object({ file: z.literal('SHA256SUMS'), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
  keyFingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  created: z.string().max(100),
  tool: z.string().max(200),
  signature: z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .max(200),
};
const schema = z.discriminatedUnion('signatureVersion', [
  z.object({ signatureVersion: z.literal(1), ...common }).strict(),
  z.object({ signatureVersion: z.literal(2), ...common, publicKey: z.string().max(4096) }).strict(),
]);

export function keyFingerprint(key: KeyObject): string {
  return `sha256:${createHash('sha256').update(spki(key)).digest('hex')}`;
}

function spki(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}

export function generateSigningKey(): { privatePem: string; publicPem: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    fingerprint: keyFingerprint(publicKey),
  };
}

export function readPrivateKey(pem: string, path: string): KeyObject {
  return ed25519Key(() => createPrivateKey(pem), path, 'private');
}

export function readPublicKey(pem: string, path: string): KeyObject {
  return ed25519Key(() => createPublicKey(pem), path, 'public');
}

function ed25519Key(read: () => KeyObject, path: string, kind: 'private' | 'public'): KeyObject {
  try {
    const key = read();
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key, not ed25519`);
    return key;
  } catch (err) {
    throw new FerryError('USAGE', `${path} is not an Ed25519 ${kind} key (PEM): ${(err as Error).message}`, { path });
  }
}

export function signSums(sums: Buffer, key: KeyObject, tool: string, now = new Date()): Buffer {
  const pub = createPublicKey(key);
  const file: SignatureFile = {
    signatureVersion: 2,
    algorithm: 'ed25519',
    signed: { file: 'SHA256SUMS', sha256: createHash('sha256').update(sums).digest('hex') },
    keyFingerprint: keyFingerprint(pub),
    publicKey: pub.export({ type: 'spki', format: 'pem' }) as string,
    created: now.toISOString(),
    tool,
    signature: sign(null, sums, key).toString('base64'),
  };
  return Buffer.from(`${JSON.stringify(file, null, 2)}\n`);
}

export function parseSignatureFile(body: Buffer): SignatureFile {
  return schema.parse(JSON.parse(body.toString('utf8'))) as SignatureFile;
}

export type SignatureCheck =
  | { status: 'valid'; keyFingerprint: string; created: string }
  | { status: 'unsigned' }
  /**
   * Signed, but no key was given to say whether the signer is trusted. `consistent`: the signature was checked with
   * the key it carries and is valid for this SHA256SUMS (envelope v2); false for a v1 envelope, which carries no key.
   */
  | { status: 'unchecked'; keyFingerprint: string; created: string; consistent: boolean }
  | { status: 'invalid'; reason: string; keyFingerprint?: string };

/**
 * Checks a SHA256SUMS.sig against the bundle's SHA256SUMS bytes. With `key`, the signature must be by that key;
 * without, a v2 signature must still be valid under the key it carries (a signature copied from another bundle, or
 * onto a SHA256SUMS an attacker recomputed, is `invalid` either way).
 */
export function checkSignature(sig: Buffer | undefined, sums: Buffer | undefined, key: KeyObject | undefined): SignatureCheck {
  if (!sig) return { status: 'unsigned' };
  let file: SignatureFile;
  try {
    file = parseSignatureFile(sig);
  } catch (err) {
    return { status: 'invalid', reason: `SHA256SUMS.sig is not a ferry signature file: ${(err as Error).message.split('\n')[0]}` };
  }
  const fp = file.keyFingerprint;
  const invalid = (reason: string): SignatureCheck => ({ status: 'invalid', keyFingerprint: fp, reason });
  let signer: KeyObject | undefined;
  if (file.publicKey !== undefined) {
    try {
      signer = createPublicKey(file.publicKey);
    } catch (err) {
      return invalid(`the public key it carries cannot be read: ${(err as Error).message}`);
    }
    if (signer.asymmetricKeyType !== 'ed25519') return invalid(`the public key it carries is ${signer.asymmetricKeyType}, not ed25519`);
    if (keyFingerprint(signer) !== fp)
      return invalid(`its keyFingerprint ${fp} is not the fingerprint of the public key it carries (${keyFingerprint(signer)})`);
  }
  if (key) {
    const expected = keyFingerprint(key);
    if (fp !== expected || (signer && !spki(signer).equals(spki(key))))
      return invalid(`signed by key ${fp}, not by the given key ${expected}`);
    signer = key;
  }
  // A v1 envelope without --key: nothing to check the signature with.
  if (!signer) return { status: 'unchecked', keyFingerprint: fp, created: file.created, consistent: false };
  if (!sums) return invalid('the bundle has no SHA256SUMS to check the signature against');
  const actual = createHash('sha256').update(sums).digest('hex');
  if (actual !== file.signed.sha256)
    return invalid(`the signature is for a SHA256SUMS with sha256 ${file.signed.sha256}, this bundle's is ${actual}`);
  if (!verify(null, sums, signer, Buffer.from(file.signature, 'base64'))) return invalid('the signature does not match SHA256SUMS');
  return key
    ? { status: 'valid', keyFingerprint: fp, created: file.created }
    : { status: 'unchecked', keyFingerprint: fp, created: file.created, consistent: true };
}

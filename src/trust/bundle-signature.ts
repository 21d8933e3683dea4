import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { FerryError } from '../core/errors.js';

/**
 * Bundle signatures (docs/security.md): an Ed25519 signature over the bundle's SHA256SUMS, which lists the sha256 of
 * every other entry, so it covers the whole bundle. It is stored as `SHA256SUMS.sig` right after SHA256SUMS in the
 * bundle and beside it as `<bundle>.sig`. Keys are PEM (PKCS#8 private, SPKI public); a key's fingerprint is the
 * sha256 of its SPKI DER encoding.
 */
export interface SignatureFile {
  signatureVersion: 1;
  algorithm: 'ed25519';
  /** What was signed: the SHA256SUMS member, by its sha256 (hex). */
  signed: { file: 'SHA256SUMS'; sha256: string };
  keyFingerprint: string;
  /** When the bundle was signed (informational: not itself covered by the signature). */
  created: string;
  tool: string;
  /** base64 Ed25519 signature over the SHA256SUMS bytes. */
  signature: string;
}

const schema = z
  .object({
    signatureVersion: z.literal(1),
    algorithm: z.literal('ed25519'),
    signed: z.object({ file: z.literal('SHA256SUMS'), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
    keyFingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    created: z.string(),
    tool: z.string(),
    signature: z.string().min(1),
  })
  .strict();

export function keyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return `sha256:${createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex')}`;
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
  const file: SignatureFile = {
    signatureVersion: 1,
    algorithm: 'ed25519',
    signed: { file: 'SHA256SUMS', sha256: createHash('sha256').update(sums).digest('hex') },
    keyFingerprint: keyFingerprint(key),
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
  | { status: 'unchecked'; keyFingerprint: string; created: string } // signed, but no key given to check it
  | { status: 'invalid'; reason: string; keyFingerprint?: string };

/** Checks a SHA256SUMS.sig against the bundle's SHA256SUMS bytes and, when given, the expected public key. */
export function checkSignature(sig: Buffer | undefined, sums: Buffer | undefined, key: KeyObject | undefined): SignatureCheck {
  if (!sig) return { status: 'unsigned' };
  let file: SignatureFile;
  try {
    file = parseSignatureFile(sig);
  } catch (err) {
    return { status: 'invalid', reason: `SHA256SUMS.sig is not a ferry signature file: ${(err as Error).message.split('\n')[0]}` };
  }
  if (!key) return { status: 'unchecked', keyFingerprint: file.keyFingerprint, created: file.created };
  const expected = keyFingerprint(key);
  if (file.keyFingerprint !== expected) return { status: 'invalid', keyFingerprint: file.keyFingerprint, reason: `signed by key ${file.keyFingerprint}, not by the given key ${expected}` };
  if (!sums) return { status: 'invalid', keyFingerprint: file.keyFingerprint, reason: 'the bundle has no SHA256SUMS to check the signature against' };
  const actual = createHash('sha256').update(sums).digest('hex');
  if (actual !== file.signed.sha256) return { status: 'invalid', keyFingerprint: file.keyFingerprint, reason: `the signature is for a SHA256SUMS with sha256 ${file.signed.sha256}, this bundle's is ${actual}` };
  if (!verify(null, sums, key, Buffer.from(file.signature, 'base64'))) return { status: 'invalid', keyFingerprint: file.keyFingerprint, reason: 'the signature does not match SHA256SUMS' };
  return { status: 'valid', keyFingerprint: file.keyFingerprint, created: file.created };
}

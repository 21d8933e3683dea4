import { FerryError } from '../../core/errors.js';

/** A signature check of a Release file: the signed text, and the keyring keys that made a valid signature. */
export interface VerifiedRelease {
  /** The signed text only (for InRelease, not the armour around it): the only part that may be parsed. */
  text: string;
  /** Fingerprints (upper-case hex, as gpg prints them) of the keyring keys with a valid signature. */
  signedBy: string[];
}

type OpenPgp = typeof import('openpgp');
let pgp: Promise<OpenPgp> | undefined;
/** openpgp is large; load it only when a signature is checked. */
const openpgp = () => (pgp ??= import('openpgp'));

/** Reads a keyring: binary (`.gpg`, concatenated keys, as in /usr/share/keyrings) or ASCII-armoured. */
export async function readKeyring(bytes: Buffer, path: string): Promise<import('openpgp').Key[]> {
  const o = await openpgp();
  try {
    const text = bytes.toString('latin1');
    return text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')
      ? await o.readKeys({ armoredKeys: bytes.toString('utf8') })
      : await o.readKeys({ binaryKeys: bytes });
  } catch (err) {
    throw new FerryError('APT_SIGNATURE', `keyring ${path} cannot be read: ${(err as Error).message}`, { keyring: path });
  }
}

export async function keyringFingerprints(keys: import('openpgp').Key[]): Promise<string[]> {
  return keys.map((k) => k.getFingerprint().toUpperCase()).sort();
}

/**
 * Checks an InRelease (clearsigned) or a Release with its detached Release.gpg against a keyring, as apt does:
 * at least one signature must be valid and made by a key in the keyring; signatures by keys not in the keyring are
 * ignored (archives sign with several keys). Throws APT_SIGNATURE naming `what` when no signature qualifies.
 */
export async function verifyRelease(
  input: { inRelease: Buffer } | { release: Buffer; signature: Buffer },
  keys: import('openpgp').Key[],
  what: string,
): Promise<VerifiedRelease> {
  const o = await openpgp();
  let result: Awaited<ReturnType<OpenPgp['verify']>>;
  let text: string;
  try {
    if ('inRelease' in input) {
      const message = await o.readCleartextMessage({ cleartextMessage: input.inRelease.toString('utf8') });
      result = await o.verify({ message, verificationKeys: keys });
      text = String(result.data);
    } else {
      const sig = input.signature.toString('latin1').includes('-----BEGIN PGP SIGNATURE-----')
        ? await o.readSignature({ armoredSignature: input.signature.toString('utf8') })
        : await o.readSignature({ binarySignature: input.signature });
      const message = await o.createMessage({ binary: input.release });
      result = await o.verify({ message, signature: sig, verificationKeys: keys, format: 'binary' });
      text = input.release.toString('utf8');
    }
  } catch (err) {
    throw new FerryError('APT_SIGNATURE', `${what}: not a signed Release: ${(err as Error).message}`, { release: what });
  }
  const signedBy: string[] = [];
  const reasons: string[] = [];
  for (const s of result.signatures) {
    try {
      await s.verified;
      const key = keys.find((k) => k.getKeys(s.keyID).length > 0);
      if (key) signedBy.push(key.getFingerprint().toUpperCase());
    } catch (err) {
      reasons.push(`${s.keyID.toHex().toUpperCase()}: ${(err as Error).message}`);
    }
  }
  if (signedBy.length === 0) {
    throw new FerryError(
      'APT_SIGNATURE',
      `${what}: no valid signature by a key in the keyring (${reasons.join('; ') || 'no signatures'})`,
      { release: what },
    );
  }
  return { text, signedBy: [...new Set(signedBy)].sort() };
}

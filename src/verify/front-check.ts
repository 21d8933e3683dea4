import type { KeyObject } from 'node:crypto';
import { SIGNATURE_FILE } from '../bundle/format.js';
import { type SignatureCheck, checkSignature } from '../trust/bundle-signature.js';
import type { Problem } from './problem.js';

export interface SignaturePolicy {
  /** The public key the bundle must be signed with (`--key`). */
  publicKey?: KeyObject;
  /** `--require-signature`: only a signature checked against `publicKey` will do. */
  requireSignature?: boolean;
}

export interface FrontVerdict {
  signature: SignatureCheck;
  /** Set when the signature fails the policy: the verify pass stops, nothing after the front is read or parsed. */
  problem?: Problem;
  /** What to tell the user when the bundle passes without a trusted signature. */
  warning?: string;
}

/**
 * The front of a bundle is SHA256SUMS (first member) and SHA256SUMS.sig (second, optional): everything else is
 * trusted only through them, so they are judged before anything else is parsed (docs/security.md "Signing").
 * Outcomes, the same for verify, audit, push, stage and serve:
 * - valid for --key: pass;
 * - signed, consistent with the key it carries, no --key: pass with a warning (the key is not trusted);
 * - an old (v1) envelope without --key: pass with a warning (it cannot be checked);
 * - unsigned without --key: pass with a warning;
 * - anything inconsistent (a copied or edited signature, another key than --key), unsigned with --key, or
 *   --require-signature without a signature checked against --key: a problem, exit 3.
 */
export function checkFront(sums: Buffer | undefined, sig: Buffer | undefined, policy: SignaturePolicy): FrontVerdict {
  const signature = checkSignature(sig, sums, policy.publicKey);
  const fail = (message: string, fix: string): FrontVerdict => ({
    signature,
    problem: { path: SIGNATURE_FILE, code: 'SIGNATURE_INVALID', message: `${message}; the rest of the bundle was not checked: ${fix}` },
  });
  const refetch = 'do not use it; get the bundle again from the team that signed it';
  if (signature.status === 'invalid') return fail(`the bundle signature is not valid: ${signature.reason}`, refetch);
  if (signature.status === 'valid') return { signature };
  if (policy.publicKey) return fail('the bundle is not signed, and --key asks for a signature', refetch);
  if (policy.requireSignature) {
    return signature.status === 'unsigned'
      ? fail('the bundle is not signed (--require-signature)', 'ask for a signed bundle (pull --sign-key) and verify it with --key')
      : fail(
          `the bundle is signed by key ${signature.keyFingerprint}, which cannot be trusted without --key`,
          '--require-signature needs --key PUB.pem, the public key of the team that signs bundles',
        );
  }
  if (signature.status === 'unsigned') return { signature, warning: 'the bundle is unsigned' };
  return {
    signature,
    warning: signature.consistent
      ? `the bundle is signed by a key it cannot trust (fingerprint ${signature.keyFingerprint}): give --key`
      : `the bundle carries an old-format signature naming key ${signature.keyFingerprint}, which cannot be checked without --key`,
  };
}

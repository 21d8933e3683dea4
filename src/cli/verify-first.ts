import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { VerifyOptions, VerifyResult } from '../verify/verify-bundle.js';
import { renderVerify } from './render.js';

export interface TrustFlags {
  key?: string;
  requireSignature?: boolean;
  /** commander's negated `--no-verify`: false when given. */
  verify?: boolean;
}

/** Reads a PEM key file named by a flag; an unreadable file is a usage error naming the flag. */
async function keyFile(path: string, flag: string): Promise<{ pem: string; full: string }> {
  const full = resolve(path);
  try {
    return { pem: await readFile(full, 'utf8'), full };
  } catch (err) {
    throw new FerryError('USAGE', `${flag} ${path}: ${(err as Error).message}`, { path });
  }
}

export async function publicKeyFrom(path: string | undefined) {
  if (!path) return undefined;
  const { readPublicKey } = await import('../trust/bundle-signature.js');
  const { pem, full } = await keyFile(path, '--key');
  return readPublicKey(pem, full);
}

export async function privateKeyFrom(path: string) {
  const { readPrivateKey } = await import('../trust/bundle-signature.js');
  const { pem, full } = await keyFile(path, '--sign-key');
  return readPrivateKey(pem, full);
}

/**
 * The signature policy from `--key` and `--require-signature`, the same for verify, audit, push, stage and serve
 * (src/verify/front-check.ts): a consistent signature without --key is a warning, an inconsistent one a failure.
 */
export async function verifyOptions(flags: TrustFlags, events: EventSink, signal?: AbortSignal): Promise<VerifyOptions> {
  const publicKey = await publicKeyFrom(flags.key);
  return {
    events,
    ...(signal ? { signal } : {}),
    ...(publicKey ? { publicKey } : {}),
    ...(flags.requireSignature ? { requireSignature: true } : {}),
  };
}

/**
 * The validation gate (src/validate/gate.ts) for commands that do not open the bundle through a library function
 * that runs it itself (verify, audit): every name the command will print or report is checked before it acts.
 */
export async function gateBundleFile(path: string): Promise<void> {
  const { BundleReader } = await import('../bundle/reader.js');
  const { gateBundle } = await import('../validate/gate.js');
  const reader = await BundleReader.open(path);
  try {
    await gateBundle(reader);
  } finally {
    await reader.close();
  }
}

/**
 * `--policy MANIFEST` (verify, audit): the images' carried signatures checked against spec.signatures of that
 * manifest (src/verify/bundle-policy.ts), with the line each image gets.
 */
export async function checkPolicy(bundle: string, manifest: string) {
  const { checkBundlePolicy } = await import('../verify/bundle-policy.js');
  const { outcomeLine } = await import('../verify/signature-policy.js');
  const r = await checkBundlePolicy(bundle, manifest);
  return { ...r, lines: r.outcomes.map(outcomeLine) };
}

/**
 * push and stage verify the bundle before they act on it (docs/security.md); `--no-verify` skips that, and says so.
 * A damaged or wrongly signed bundle stops the command with exit code 3 before anything is pushed or written.
 */
export async function verifyBeforeActing(
  path: string,
  flags: TrustFlags,
  events: EventSink,
  what: string,
  signal?: AbortSignal,
): Promise<VerifyResult | undefined> {
  if (flags.verify === false) {
    events({ type: 'warning', message: `--no-verify: ${path} was not verified before ${what}` });
    return undefined;
  }
  const { verifyBundle } = await import('../verify/verify-bundle.js');
  const opts = await verifyOptions(flags, events, signal);
  const r = await verifyBundle(path, opts);
  refuseDamaged(path, r, 'nothing was done');
  return r;
}

/** A bundle that failed its check stops the command, with every problem and the way out. */
function refuseDamaged(path: string, r: VerifyResult, outcome: string): void {
  if (r.ok) return;
  throw new FerryError(
    'INTEGRITY_FAILED',
    `${renderVerify(path, r)}\n${outcome}: fix or replace the bundle (or, knowingly, use --no-verify)`,
    {
      problems: r.problems.length,
    },
  );
}

/**
 * push checks the front and the small members before it sends anything (src/verify/push-check.ts), and hashes every
 * blob it reads as it uploads it; `--no-verify` skips the up-front checks, and says so. The check runs on the bundle
 * push opens (one tar index), through pushBundle's `check`; `result()` is its outcome once it has run.
 */
export async function pushCheck(
  path: string,
  flags: TrustFlags,
  events: EventSink,
  signal?: AbortSignal,
): Promise<{ check?: (reader: import('../bundle/reader.js').BundleReader) => Promise<void>; result(): VerifyResult | undefined }> {
  let checked: VerifyResult | undefined;
  if (flags.verify === false) {
    events({ type: 'warning', message: `--no-verify: ${path} was not checked before pushing (each blob is still hashed as it goes up)` });
    return { result: () => undefined };
  }
  const opts = await verifyOptions(flags, events, signal);
  return {
    result: () => checked,
    async check(reader) {
      const { checkBeforePush } = await import('../verify/push-check.js');
      const r = await checkBeforePush(reader, opts);
      refuseDamaged(path, r, 'nothing was pushed');
      checked = r;
    },
  };
}

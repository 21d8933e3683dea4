import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { sha256 } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { isKeyRule } from '../trust/cosign/policy.js';
import { parsePublicKey } from '../trust/cosign/public-key.js';
import type { SignatureCheck } from '../trust/cosign/verify-image.js';
import type { ImagePolicyOutcome } from './signature-policy.js';

/**
 * What a signature policy check found, as data: recorded by pull in ferry-bundle.json (`signatures`,
 * docs/bundle-format.md) and given by `verify --policy` and `audit --policy`. Deterministic: no time, no absolute
 * path (a key or trusted root is named relative to the bundle manifest, a key also by its fingerprint, the sha256 of
 * its DER SubjectPublicKeyInfo), so the same manifest and lock give the same bytes.
 */
export interface SignerRecord {
  key?: { file: string; fingerprint: string };
  identity?: { issuer: string; subject: string; trustedRoot: string; trustedRootSha256: string };
}

export interface RuleRecord {
  /** The rule's glob. */
  images: string;
  signer: SignerRecord;
  result: 'passed' | 'failed';
  /** Every signature and attestation layer looked at under this rule, and what came of it. */
  checks: SignatureCheck[];
  reason?: string;
}

export interface ImageRecord {
  image: string;
  /** The digest the signatures name (the upstream digest). */
  digest: string;
  /** The digest the bundle keeps, when platform-filtered. */
  held?: string;
  result: 'passed' | 'failed' | 'not required';
  rules: RuleRecord[];
  /** What tied the kept platforms to the signed upstream index. */
  platforms?: string;
  reason?: string;
}

export interface SignatureRecord {
  /** Every image entry of the bundle, in index.json order. */
  images: ImageRecord[];
}

export async function recordOf(outcomes: ImagePolicyOutcome[], manifestDir: string): Promise<SignatureRecord> {
  const signers = new Map<string, Promise<SignerRecord>>();
  const signerOf = (r: ImagePolicyOutcome['rules'][number]['rule']) => {
    const path = isKeyRule(r) ? r.key : r.trustedRoot;
    const id = isKeyRule(r) ? `key ${path}` : `${path} ${r.keyless.issuer} ${r.keyless.subject}`;
    let p = signers.get(id);
    if (!p) signers.set(id, (p = signerRecord(r, manifestDir)));
    return p;
  };
  const images: ImageRecord[] = [];
  for (const o of outcomes) {
    const rules: RuleRecord[] = [];
    for (const r of o.rules)
      rules.push({
        images: r.rule.images,
        signer: await signerOf(r.rule),
        result: r.ok ? 'passed' : 'failed',
        checks: r.checks,
        ...(r.error ? { reason: r.error.message } : {}),
      });
    images.push({
      image: o.image,
      digest: o.digest,
      ...(o.held ? { held: o.held } : {}),
      result: o.rules.length === 0 ? 'not required' : o.ok ? 'passed' : 'failed',
      rules,
      ...(o.platforms ? { platforms: o.platforms } : {}),
      ...(o.error ? { reason: o.error.message } : {}),
    });
  }
  return { images };
}

async function signerRecord(rule: ImagePolicyOutcome['rules'][number]['rule'], base: string): Promise<SignerRecord> {
  const path = isKeyRule(rule) ? rule.key : rule.trustedRoot;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new FerryError('IO_ERROR', `cannot read ${path} (spec.signatures): ${(err as Error).message}`, { path });
  }
  const file = relative(base, path) || path;
  if (!isKeyRule(rule)) return { identity: { ...rule.keyless, trustedRoot: file, trustedRootSha256: sha256(bytes) } };
  const der = parsePublicKey(bytes).export({ type: 'spki', format: 'der' });
  return { key: { file, fingerprint: sha256(der) } };
}

/** `key keys/velero.pub (sha256:…)` or `identity issuer=… subject=…`: who a rule trusts, in a report. */
export function signerWords(s: SignerRecord): string {
  if (s.key) return `key ${s.key.file} (${s.key.fingerprint})`;
  const i = s.identity;
  return i ? `identity issuer=${i.issuer} subject=${i.subject} (trusted root ${i.trustedRoot})` : 'unknown signer';
}

/** A recorded policy read back from ferry-bundle.json; undefined when absent or not of this shape. */
export function parseRecord(v: unknown): SignatureRecord | undefined {
  const images = (v as { images?: unknown } | undefined)?.images;
  if (!Array.isArray(images)) return undefined;
  const good = images.every(
    (i) =>
      typeof i?.image === 'string' &&
      typeof i.digest === 'string' &&
      ['passed', 'failed', 'not required'].includes(i.result) &&
      Array.isArray(i.rules) &&
      (i.rules as unknown[]).every((r) => typeof (r as RuleRecord)?.images === 'string' && Array.isArray((r as RuleRecord).checks)),
  );
  return good ? (v as SignatureRecord) : undefined;
}

import { dirname, resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { isRecord, isString, list } from '../../manifest/fields.js';
import type { Problem } from '../../manifest/yaml-source.js';
import { globProblem } from './image-glob.js';

/**
 * spec.signatures (docs/supply-chain.md "Signature policy"): rules saying which images must be signed, and by what.
 * Every rule whose `images` glob matches an image must pass (as with several matching ClusterImagePolicies in the
 * sigstore policy-controller, or several matching Kyverno verifyImages rules); an image no rule matches needs no
 * signature.
 */
const keyRule = z.object({ images: z.string().min(1), key: z.string().min(1) }).strict();
const keylessRule = z
  .object({
    images: z.string().min(1),
    keyless: z.object({ issuer: z.string().min(1), subject: z.string().min(1) }).strict(),
    trustedRoot: z.string().min(1),
  })
  .strict();

export const signaturesSchema = z.array(
  z.union([keyRule, keylessRule], {
    errorMap: (issue, ctx) => ({
      message:
        issue.code === 'invalid_union' ? 'expected {images, key} or {images, keyless: {issuer, subject}, trustedRoot}' : ctx.defaultError,
    }),
  }),
);

export interface KeyRule {
  images: string;
  /** Absolute path of the PEM (SPKI) public key. */
  key: string;
}

export interface KeylessRule {
  images: string;
  keyless: { issuer: string; subject: string };
  /** Absolute path of the Sigstore trusted_root.json. */
  trustedRoot: string;
}

export type SignatureRule = KeyRule | KeylessRule;

export function isKeyRule(rule: SignatureRule): rule is KeyRule {
  return 'key' in rule;
}

/** Who a rule trusts, as error messages and reports name it. */
export function ruleSigner(rule: SignatureRule): string {
  return isKeyRule(rule) ? `key ${rule.key}` : `identity issuer=${rule.keyless.issuer} subject=${rule.keyless.subject}`;
}

/**
 * The rules with their paths made absolute (relative to the manifest). The schema has reported shape errors; this
 * adds the meaning ones (a bad glob, a subject that is not a regular expression) with their positions.
 */
export function normaliseSignatures(raw: unknown, at: (string | number)[], manifestPath: string, problems: Problem[]): SignatureRule[] {
  const base = dirname(manifestPath);
  const out: SignatureRule[] = [];
  list(raw).forEach((r, i) => {
    if (!isRecord(r) || !isString(r.images)) return;
    const bad = globProblem(r.images);
    if (bad) problems.push({ path: [...at, i, 'images'], message: bad });
    if (isString(r.key) && r.key !== '') {
      out.push({ images: r.images, key: resolvePath(base, r.key) });
      return;
    }
    const k = r.keyless;
    if (!isRecord(k) || !isString(k.issuer) || !isString(k.subject) || !isString(r.trustedRoot)) return;
    try {
      new RegExp(k.subject);
    } catch (err) {
      problems.push({ path: [...at, i, 'keyless', 'subject'], message: `not a regular expression: ${(err as Error).message}` });
    }
    out.push({ images: r.images, keyless: { issuer: k.issuer, subject: k.subject }, trustedRoot: resolvePath(base, r.trustedRoot) });
  });
  return out;
}

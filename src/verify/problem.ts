import type { SignatureCheck } from '../trust/bundle-signature.js';
import type { Problem } from '../core/problem.js';

export type { Problem, ProblemCode } from '../core/problem.js';

export interface VerifyResult {
  ok: boolean;
  /** Tar members read. */
  entries: number;
  /** Archive bytes read and hashed. */
  bytes: number;
  problems: Problem[];
  /** The bundle signature, checked against the given key when there was one. */
  signature: SignatureCheck;
  /** Every file member with the sha256 computed while reading it (for audit reports). */
  contents: Map<string, { sha256?: string; size: number }>;
  /**
   * Members deliberately not read, and why (push reads only what it uploads: verify/push-check.ts); absent from a
   * verify pass, which reads everything.
   */
  notRead?: Map<string, string>;
}

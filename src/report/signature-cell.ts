import { type SignatureRecord, parseRecord, signerWords } from '../verify/signature-record.js';

/**
 * The audit report's signature column (docs/audit-report.md): per image, who signed it (each matching rule's key,
 * by file and fingerprint, or certificate identity), what was checked (signatures, attestations and their predicate
 * types) and the result — from `--policy` when given (checked by this run), else from what pull recorded in
 * ferry-bundle.json, else "not checked".
 */
export interface SignatureCell {
  result: 'passed' | 'failed' | 'not required' | 'not checked';
  /** `pull`: checked when the bundle was pulled (recorded in it); `policy`: checked by this run against --policy. */
  checkedAt?: 'pull' | 'policy';
  /** The upstream digest the signatures name. */
  digest?: string;
  signers: string[];
  /** What passed: `signature sha256-<hex>.sig`, `attestation https://slsa.dev/provenance/v1 (sha256-<hex>.att)`. */
  checked: string[];
  /** What tied the kept platforms to the signed upstream index (platform-filtered images). */
  platforms?: string;
  reason?: string;
}

export interface SignatureSource {
  record?: SignatureRecord;
  checkedAt?: 'pull' | 'policy';
}

/** This run's --policy record over the one pull wrote into the bundle's ferry-bundle.json. */
export function signatureSource(policy: SignatureRecord | undefined, recorded: unknown): SignatureSource {
  if (policy) return { record: policy, checkedAt: 'policy' };
  const r = parseRecord(recorded);
  return r ? { record: r, checkedAt: 'pull' } : {};
}

export function signatureCell(image: string, src: SignatureSource): SignatureCell {
  const rec = src.record?.images.find((i) => i.image === image);
  if (!rec || !src.checkedAt) return { result: 'not checked', signers: [], checked: [] };
  const checked = rec.rules.flatMap((r) =>
    r.checks
      .filter((c) => c.ok)
      .map((c) => (c.kind === 'signature' ? `signature ${c.source}` : `attestation ${c.detail.replace(/^attests /, '')} (${c.source})`)),
  );
  return {
    result: rec.result,
    checkedAt: src.checkedAt,
    digest: rec.digest,
    signers: rec.rules.map((r) => signerWords(r.signer)),
    checked: [...new Set(checked)],
    ...(rec.platforms ? { platforms: rec.platforms } : {}),
    ...(rec.reason ? { reason: rec.reason } : {}),
  };
}

/** The cell in words, for Markdown and HTML. */
export function signatureWords(c: SignatureCell | undefined): string {
  if (!c) return '';
  if (c.result === 'not checked') return 'not checked (no signature policy applied)';
  const at = c.checkedAt === 'pull' ? 'at pull' : 'by --policy';
  if (c.result === 'not required') return `not required: no rule matches (${at})`;
  if (c.result === 'failed') return `FAILED (${at}): ${c.reason ?? 'no valid signature'}`;
  return `passed (${at}): ${c.signers.join('; ')}: ${c.checked.join(', ')}${c.platforms ? `; ${c.platforms}` : ''}`;
}

import { X509Certificate } from 'node:crypto';
import { certificateExtensions, readTlv } from './der.js';

/**
 * Keyless (Fulcio certificate) checks, offline, against a Sigstore trusted root (sigstore protobuf-specs TrustedRoot:
 * `certificateAuthorities[].certChain.certificates[].rawBytes` base64 DER, intermediate first, root last, each CA
 * with `validFor: {start, end}`). What is checked — and only this (docs/supply-chain.md "Signature policy"):
 * the leaf chains, signature by signature, to one CA chain of the root, every certificate of the path is valid at the
 * signing time and the leaf's issuers are CAs; the leaf's OIDC issuer extension and SAN match the rule. The signing
 * time is the leaf's notBefore, which must fall inside the CA's validFor: no Rekor entry, signed entry timestamp or
 * RFC 3161 timestamp is verified, and no CT log SCT.
 */
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8'; // DER UTF8String (fulcio docs/oid-info.md)
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1'; // raw string, deprecated but still written

export interface CaChain {
  certificates: X509Certificate[];
  start?: Date;
  end?: Date;
}

export function parseTrustedRoot(text: string): CaChain[] {
  const doc = JSON.parse(text) as { certificateAuthorities?: unknown };
  if (!Array.isArray(doc.certificateAuthorities)) throw new Error('not a Sigstore trusted root: no certificateAuthorities');
  return doc.certificateAuthorities.map(
    (ca: { certChain?: { certificates?: { rawBytes?: string }[] }; validFor?: { start?: string; end?: string } }) => {
      const certs = (ca.certChain?.certificates ?? []).map((c) => new X509Certificate(Buffer.from(c.rawBytes ?? '', 'base64')));
      if (certs.length === 0) throw new Error('not a Sigstore trusted root: a certificate authority has no certificates');
      return {
        certificates: certs,
        ...(ca.validFor?.start ? { start: new Date(ca.validFor.start) } : {}),
        ...(ca.validFor?.end ? { end: new Date(ca.validFor.end) } : {}),
      };
    },
  );
}

export interface Identity {
  issuer: string;
  /** The SAN: a URI, an e-mail address. */
  subjects: string[];
}

export function certificateIdentity(cert: X509Certificate): Identity {
  const ext = certificateExtensions(cert.raw);
  let issuer = '';
  const v2 = ext.get(OID_ISSUER_V2);
  if (v2) {
    const t = readTlv(v2, 0);
    issuer = t.value.toString('utf8');
  } else {
    issuer = ext.get(OID_ISSUER_V1)?.toString('utf8') ?? '';
  }
  const subjects = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .map((s) => s.match(/^(?:URI|email):"?(.*?)"?$/)?.[1])
    .filter((s): s is string => s !== undefined && s !== '');
  return { issuer, subjects };
}

const inside = (t: Date, c: X509Certificate) => t >= new Date(c.validFrom) && t <= new Date(c.validTo);

/** Why `leaf` does not chain to a CA of the trusted root at its signing time (the signature's own chain annotation is not trusted). */
export function chainProblem(leaf: X509Certificate, roots: CaChain[]): string | undefined {
  const at = new Date(leaf.validFrom);
  let reason = 'the certificate was not issued by a certificate authority of the trusted root';
  for (const ca of roots) {
    const first = ca.certificates[0]!;
    if (!leaf.checkIssued(first) || !leaf.verify(first.publicKey)) continue;
    if ((ca.start && at < ca.start) || (ca.end && at > ca.end)) {
      reason = `the certificate authority ${first.subject.replace(/\n/g, ', ')} was not valid when the certificate was issued (${at.toISOString()})`;
      continue;
    }
    const path = [leaf, ...ca.certificates];
    const broken = path.findIndex((c, i) => i > 0 && (!c.ca || !path[i - 1]!.checkIssued(c) || !path[i - 1]!.verify(c.publicKey)));
    if (broken !== -1) {
      reason = "the trusted root's certificate chain is broken";
      continue;
    }
    const expired = path.find((c) => !inside(at, c));
    if (expired) {
      reason = `expired chain: ${expired === leaf ? 'the certificate' : expired.subject.replace(/\n/g, ', ')} was not valid at ${at.toISOString()}`;
      continue;
    }
    return undefined;
  }
  return reason;
}

/** Why the certificate's OIDC issuer or SAN does not match the rule (the subject regex is anchored at both ends). */
export function identityProblem(cert: X509Certificate, want: { issuer: string; subject: string }): string | undefined {
  const id = certificateIdentity(cert);
  if (id.issuer !== want.issuer) return `certificate issuer mismatch: ${id.issuer || '(none)'}, not ${want.issuer}`;
  const re = new RegExp(`^(?:${want.subject})$`);
  if (!id.subjects.some((s) => re.test(s)))
    return `certificate subject mismatch: ${id.subjects.join(', ') || '(none)'} does not match ${want.subject}`;
  return undefined;
}

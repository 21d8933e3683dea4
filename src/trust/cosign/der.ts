/**
 * Just enough DER (ITU-T X.690) to read the extensions of an X.509 certificate (RFC 5280 §4.1), which
 * node:crypto's X509Certificate does not expose: Fulcio puts the OIDC issuer in a private extension
 * (sigstore fulcio docs/oid-info.md). Only definite lengths, as DER requires.
 */
export interface Tlv {
  tag: number;
  /** The content octets. */
  value: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

export function readTlv(buf: Buffer, at: number): Tlv {
  if (at + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let off = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + n > buf.length) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i]!;
    off += n;
  }
  if (off + len > buf.length) throw new Error('truncated DER');
  return { tag, value: buf.subarray(off, off + len), end: off + len };
}

export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length;) {
    const t = readTlv(value, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's content octets (X.690 §8.19). */
export function oidString(value: Buffer): string {
  const parts: number[] = [];
  let n = 0;
  for (const byte of value) {
    n = n * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

const SEQUENCE = 0x30;
const OID = 0x06;
const BOOLEAN = 0x01;
const EXTENSIONS = 0xa3; // [3] EXPLICIT in TBSCertificate

/** extnID → extnValue (the OCTET STRING's content) of a DER certificate. */
export function certificateExtensions(der: Buffer): Map<string, Buffer> {
  const cert = readTlv(der, 0);
  if (cert.tag !== SEQUENCE) throw new Error('not a certificate');
  const tbs = children(cert.value)[0];
  if (tbs?.tag !== SEQUENCE) throw new Error('not a certificate');
  const out = new Map<string, Buffer>();
  const ext = children(tbs.value).find((t) => t.tag === EXTENSIONS);
  if (!ext) return out;
  const list = readTlv(ext.value, 0);
  for (const e of children(list.value)) {
    const parts = children(e.value);
    if (parts[0]?.tag !== OID) continue;
    const valueAt = parts[1]?.tag === BOOLEAN ? 2 : 1;
    const v = parts[valueAt];
    if (v) out.set(oidString(parts[0].value), v.value);
  }
  return out;
}

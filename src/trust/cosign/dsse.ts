import type { KeyObject } from 'node:crypto';
import type { Digest } from '../../core/digest.js';
import { base64, verifySignature } from './public-key.js';

/**
 * DSSE envelopes (secure-systems-lab/dsse protocol.md and envelope.md), as cosign stores attestations: a layer of
 * media type `application/vnd.dsse.envelope.v1+json` holding `{payloadType, payload: base64, signatures: [{keyid, sig}]}`.
 * The signature is over PAE(payloadType, payload), never over the envelope or the base64 text:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN being the byte length in ASCII decimal.
 */
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

export interface Envelope {
  payloadType: string;
  payload: Buffer;
  signatures: Buffer[];
}

export function parseEnvelope(bytes: Buffer): Envelope | string {
  let doc: { payloadType?: unknown; payload?: unknown; signatures?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    return 'the DSSE envelope is not JSON';
  }
  const payload = typeof doc.payload === 'string' ? base64(doc.payload) : undefined;
  if (typeof doc.payloadType !== 'string' || !payload || !Array.isArray(doc.signatures))
    return 'the DSSE envelope lacks payloadType, payload or signatures';
  const signatures = doc.signatures
    .map((s) => base64(typeof (s as { sig?: unknown })?.sig === 'string' ? (s as { sig: string }).sig : undefined))
    .filter((s): s is Buffer => s !== undefined);
  return { payloadType: doc.payloadType, payload, signatures };
}

/**
 * The in-toto statement's predicate type when one of the envelope's signatures verifies under `key` and the statement
 * (in-toto attestation spec v1 / v0.1) lists `subject` among its subjects' sha256 digests; else why not.
 */
export function verifyAttestation(env: Envelope, key: KeyObject, subject: Digest): { predicateType: string } | string {
  const message = pae(env.payloadType, env.payload);
  if (!env.signatures.some((sig) => verifySignature(key, message, sig))) return 'no signature of the attestation verifies with this key';
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return `the attestation's payloadType is ${env.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`;
  let statement: { subject?: unknown; predicateType?: unknown };
  try {
    statement = JSON.parse(env.payload.toString('utf8')) as typeof statement;
  } catch {
    return 'the attested statement is not JSON';
  }
  const hex = subject.slice('sha256:'.length);
  const subjects = Array.isArray(statement.subject) ? (statement.subject as { digest?: { sha256?: unknown } }[]) : [];
  if (!subjects.some((s) => s?.digest?.sha256 === hex)) return `the attestation's subjects do not include ${subject}`;
  return { predicateType: typeof statement.predicateType === 'string' ? statement.predicateType : '' };
}

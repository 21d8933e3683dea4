import { X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Digest, sha256 } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import type { Descriptor, ImageManifest } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import { readAll } from '../../core/streams.js';
import type { ReadOnlyStorage } from '../../graph/storage.js';
import { DSSE_MEDIA_TYPE, parseEnvelope, verifyAttestation } from './dsse.js';
import { globMatches } from './image-glob.js';
import { chainProblem, identityProblem, parseTrustedRoot, type CaChain } from './keyless.js';
import { isKeyRule, ruleSigner, type SignatureRule } from './policy.js';
import { base64, parsePublicKey, verifySignature } from './public-key.js';
import { CERTIFICATE_ANNOTATION, checkSimpleSigning, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';

/**
 * Checks one image against spec.signatures (docs/supply-chain.md "Signature policy"). The candidates are the
 * signature manifests carried with the image — cosign `sha256-<hex>.sig` / `.att` tags and OCI 1.1 referrers — and
 * `blobs` reads their layers. Every rule whose glob matches the image must be satisfied by at least one signature
 * layer (simple-signing) that verifies under the rule's key or identity; attestations (DSSE) are checked too and
 * reported, but do not satisfy a rule alone.
 */
export interface SignatureCandidate {
  /** How the candidate was found, for reports: a tag (`sha256-….sig`) or a referrer digest. */
  source: string;
  manifest: ImageManifest;
}

export interface SignatureCheck {
  source: string;
  layer: Digest;
  kind: 'signature' | 'attestation';
  ok: boolean;
  /** What was wrong, or what was attested (the predicate type). */
  detail: string;
}

export interface RuleOutcome {
  rule: SignatureRule;
  /** `key /abs/path.pub` or `identity issuer=… subject=…`. */
  signer: string;
  checks: SignatureCheck[];
  ok: boolean;
  error?: FerryError;
}

export interface ImageSignatureInput {
  /** The upstream reference, e.g. docker.io/velero/velero:v1.14.0. */
  image: string;
  digest: Digest;
  candidates: SignatureCandidate[];
  blobs: Pick<ReadOnlyStorage, 'fetch'>;
}

type Trust = { key: KeyObject } | { roots: CaChain[]; identity: { issuer: string; subject: string } };

export async function checkImageSignatures(input: ImageSignatureInput, rules: SignatureRule[]): Promise<RuleOutcome[]> {
  const ref = parseReference(input.image);
  const out: RuleOutcome[] = [];
  for (const rule of rules.filter((r) => globMatches(r.images, ref))) {
    const signer = ruleSigner(rule);
    const trust = await loadTrust(rule, signer);
    const checks: SignatureCheck[] = [];
    for (const c of input.candidates) {
      for (const layer of c.manifest.layers ?? []) {
        const kind =
          layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE ? 'signature' : layer.mediaType === DSSE_MEDIA_TYPE ? 'attestation' : undefined;
        if (!kind) continue;
        const detail = await checkLayer(kind, layer, input, trust);
        checks.push({
          source: c.source,
          layer: layer.digest,
          kind,
          ok: typeof detail !== 'string',
          detail: typeof detail === 'string' ? detail : detail.ok,
        });
      }
    }
    const ok = checks.some((c) => c.ok && c.kind === 'signature');
    out.push({ rule, signer, checks, ok, ...(ok ? {} : { error: ruleError(input, signer, checks) }) });
  }
  return out;
}

/** Throws the first failed rule's error; returns the outcomes when every matching rule passed. */
export async function enforceImageSignatures(input: ImageSignatureInput, rules: SignatureRule[]): Promise<RuleOutcome[]> {
  const outcomes = await checkImageSignatures(input, rules);
  const failed = outcomes.find((o) => o.error);
  if (failed?.error) throw failed.error;
  return outcomes;
}

function ruleError(input: ImageSignatureInput, signer: string, checks: SignatureCheck[]): FerryError {
  const sigs = checks.filter((c) => c.kind === 'signature');
  const details = { image: input.image, digest: input.digest, signer, checks };
  if (sigs.length === 0)
    return new FerryError('SIGNATURE_MISSING', `${input.image}@${input.digest}: no signature found (required by ${signer})`, details);
  const why = [...new Set(sigs.map((c) => c.detail))].join('; ');
  return new FerryError('SIGNATURE_INVALID', `${input.image}@${input.digest}: no valid signature by ${signer}: ${why}`, details);
}

async function loadTrust(rule: SignatureRule, signer: string): Promise<Trust> {
  const path = isKeyRule(rule) ? rule.key : rule.trustedRoot;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FerryError('IO_ERROR', `cannot read ${path} (spec.signatures, ${signer}): ${(err as Error).message}`, { path });
  }
  try {
    return isKeyRule(rule) ? { key: parsePublicKey(text) } : { roots: parseTrustedRoot(text), identity: rule.keyless };
  } catch (err) {
    throw new FerryError('USAGE', `${path} (spec.signatures): ${(err as Error).message}`, { path });
  }
}

async function checkLayer(
  kind: 'signature' | 'attestation',
  layer: Descriptor,
  input: ImageSignatureInput,
  trust: Trust,
): Promise<{ ok: string } | string> {
  let bytes: Buffer;
  try {
    bytes = await readAll(await input.blobs.fetch(layer));
  } catch (err) {
    return `its layer ${layer.digest} cannot be read: ${(err as Error).message}`;
  }
  // The signature covers these bytes; they must also be the layer the manifest names (a swapped blob fails here).
  if (sha256(bytes) !== layer.digest) return `the payload does not match its layer digest ${layer.digest} (tampered)`;
  const key = keyFor(layer, trust);
  if (typeof key === 'string') return key;
  if (kind === 'attestation') {
    const env = parseEnvelope(bytes);
    if (typeof env === 'string') return env;
    const r = verifyAttestation(env, key, input.digest);
    return typeof r === 'string' ? r : { ok: `attests ${r.predicateType}` };
  }
  const sig = base64(layer.annotations?.[SIGNATURE_ANNOTATION]);
  if (!sig) return `the layer has no ${SIGNATURE_ANNOTATION} annotation`;
  if (!verifySignature(key, bytes, sig)) return 'signature made by another key, or over another payload';
  const claims = checkSimpleSigning(bytes, input.digest);
  return typeof claims === 'string' ? claims : { ok: `signs ${claims.digest} as ${claims.dockerReference}` };
}

/** The key to verify a layer with: the rule's own, or the layer's Fulcio certificate once it is trusted. */
function keyFor(layer: Descriptor, trust: Trust): KeyObject | string {
  if ('key' in trust) return trust.key;
  const pem = layer.annotations?.[CERTIFICATE_ANNOTATION];
  if (!pem) return `the layer has no ${CERTIFICATE_ANNOTATION} annotation (not a keyless signature)`;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return 'the signature certificate is not a PEM certificate';
  }
  return chainProblem(cert, trust.roots) ?? identityProblem(cert, trust.identity) ?? cert.publicKey;
}

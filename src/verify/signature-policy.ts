import type { Digest } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { type EventSink, noEvents } from '../core/events.js';
import { Annotation, type Descriptor, type ImageManifest } from '../core/media-types.js';
import type { ReadOnlyStorage } from '../graph/storage.js';
import { carriedFor } from '../kinds/referrer/carried.js';
import { type RuleOutcome, type SignatureCandidate, checkImageSignatures } from '../trust/cosign/verify-image.js';
import { type SignatureRule, ruleSigner } from '../trust/cosign/policy.js';
import { checkPlatformTie, readJson } from './platform-tie.js';

/**
 * The signature policy (spec.signatures, docs/supply-chain.md "Signature policy") applied to a bundle's contents,
 * whatever kinds carried them: for each image entry of index.json, the referrer entries whose subject is the image's
 * upstream digest (the digest its signatures name) are its candidates, their manifests read through their digests
 * from `blobs`, and every rule whose glob matches the image is checked (src/trust/cosign/verify-image.ts). A
 * platform-filtered image must also be tied to the signed upstream index (platform-tie.ts). Pull runs this over
 * the pull's sources and again over the filled bundle; `bundle verify --policy` and `bundle audit --policy` over the
 * bundle file.
 */
export interface PolicyInput {
  /** index.json's entries. */
  index: Descriptor[];
  /** Reads the bundle's blobs (every read is checked against its digest here or in verify-image.ts). */
  blobs: Pick<ReadOnlyStorage, 'fetch'>;
  rules: SignatureRule[];
  events?: EventSink;
}

export interface ImagePolicyOutcome {
  /** The image's full reference (its index.json ref name). */
  image: string;
  /** The digest its signatures name: the upstream digest. */
  digest: Digest;
  /** The digest the bundle keeps it under, when that differs (a platform-filtered index). */
  held?: Digest;
  /** One per rule whose glob matches the image; empty when none does (no signature required). */
  rules: RuleOutcome[];
  /** What tied the kept platforms to the signed upstream index, when the image was platform-filtered. */
  platforms?: string;
  ok: boolean;
  error?: FerryError;
}

export async function checkBundleSignatures(input: PolicyInput): Promise<ImagePolicyOutcome[]> {
  const events = input.events ?? noEvents;
  const out: ImagePolicyOutcome[] = [];
  for (const entry of input.index.filter((d) => d.annotations?.[Annotation.Kind] === 'image')) {
    const outcome = await checkImage(entry, input);
    // A failure is the caller's to report (enforce throws it), so it is not said twice.
    if (!outcome.error) events({ type: 'info', message: outcomeLine(outcome) });
    out.push(outcome);
  }
  return out;
}

/** Throws the first image's failure (one line naming the image, the key or identity, and what was wrong). */
export async function enforceBundleSignatures(input: PolicyInput): Promise<ImagePolicyOutcome[]> {
  const outcomes = await checkBundleSignatures(input);
  const failed = outcomes.find((o) => o.error);
  if (failed?.error) throw failed.error;
  return outcomes;
}

async function checkImage(entry: Descriptor, input: PolicyInput): Promise<ImagePolicyOutcome> {
  const image = entry.annotations?.[Annotation.RefName] ?? entry.digest;
  const upstream = (entry.annotations?.[Annotation.UpstreamDigest] ?? entry.digest) as Digest;
  const held = upstream !== entry.digest ? { held: entry.digest } : {};
  const carried = carriedFor(input.index, upstream);
  const candidates: SignatureCandidate[] = [];
  for (const d of carried.filter((c) => c.annotations?.[Annotation.ReferrerRole] !== 'upstream-index'))
    candidates.push({ source: candidateSource(d), manifest: await readManifest(input.blobs, d, image) });
  const rules = await checkImageSignatures({ image, digest: upstream, candidates, blobs: input.blobs }, input.rules);
  const failed = rules.find((r) => r.error);
  if (failed?.error) return { image, digest: upstream, ...held, rules, ok: false, error: failed.error };
  if (rules.length === 0 || !held.held) return { image, digest: upstream, ...held, rules, ok: true };
  // The signatures name the upstream index; the bundle holds a filtered one (image-spec image-index.md).
  const tie = await checkPlatformTie(input.blobs, entry, upstream, carried);
  if (typeof tie === 'string') {
    const signers = rules.map((r) => r.signer).join(', ');
    const error = new FerryError(
      'SIGNATURE_INVALID',
      `${image}@${upstream}: the signature (by ${signers}) is on the upstream index, but ${tie}; pull the image again`,
      { image, digest: upstream, held: entry.digest },
    );
    return { image, digest: upstream, ...held, rules, ok: false, error };
  }
  return { image, digest: upstream, ...held, rules, platforms: tie.ok, ok: true };
}

/** How a candidate was found, as reports name it: its cosign tag, or the referrer's digest. */
function candidateSource(d: Descriptor): string {
  const tag = d.annotations?.[Annotation.ReferrerTag];
  return d.annotations?.[Annotation.ReferrerVia] === 'tag' && tag ? tag : `referrer ${d.digest}`;
}

/** A referrer's manifest; one that is no image manifest (an index) has no layers to check. */
async function readManifest(blobs: PolicyInput['blobs'], d: Descriptor, image: string): Promise<ImageManifest> {
  const m = await readJson(blobs, d, `${image}: carried ${candidateSource(d)}`);
  const layers = Array.isArray((m as { layers?: unknown }).layers) ? (m as ImageManifest).layers : [];
  return { ...(m as ImageManifest), layers };
}

/** The line each image gets in the log: what was required of it and what came of it. */
export function outcomeLine(o: ImagePolicyOutcome): string {
  if (o.rules.length === 0) return `signature policy: ${o.image}: no rule matches, no signature required`;
  if (o.error) return `signature policy: ${o.image}: ${o.error.message}`;
  const what = o.rules.map((r) => `${ruleSigner(r.rule)}: ${checkedWords(r)}`).join('; ');
  return `signature policy: ${o.image}@${o.digest}: ${what}${o.platforms ? `; ${o.platforms}` : ''}`;
}

/** `signed (sha256-….sig), attests https://slsa.dev/provenance/v1`: what passed under one rule. */
export function checkedWords(r: RuleOutcome): string {
  const good = r.checks.filter((c) => c.ok);
  const sigs = good.filter((c) => c.kind === 'signature').map((c) => c.source);
  const atts = good.filter((c) => c.kind === 'attestation').map((c) => c.detail);
  return [`signed (${[...new Set(sigs)].join(', ')})`, ...[...new Set(atts)]].join(', ');
}

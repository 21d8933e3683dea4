import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { Descriptor } from '../core/media-types.js';
import type { ReadOnlyStorage } from '../graph/storage.js';
import type { GraphPlan } from '../kinds/facets/source.js';
import type { BundleManifest } from '../manifest/types.js';
import type { WrittenBlobs } from './fill-bundle.js';
import type { SignatureRule } from '../trust/cosign/policy.js';
import type { ContentStore } from '../store/content-store.js';
import { enforceBundleSignatures } from '../verify/signature-policy.js';
import { type SignatureRecord, recordOf } from '../verify/signature-record.js';

/**
 * Pull's signature policy check (docs/supply-chain.md "Enforcement"), over the bundle's own index.json entries —
 * the carried referrer entries whatever kind wrote them — so that it is the check `bundle verify --policy` repeats.
 * It runs twice: before the bundle's layout is planned, over the pull's sources (each read checked against its
 * digest), so that a missing or bad signature fails the pull before the image layers are downloaded and the
 * outcome can be recorded in ferry-bundle.json, which is planned with the layout; and again once every blob is
 * written, over the bundle's own bytes, before it is renamed into place, which must find the same.
 */
export async function policyCheck(
  manifest: BundleManifest,
  index: Descriptor[],
  plans: GraphPlan[],
  store: ContentStore,
  events: EventSink,
): Promise<{ signatures: SignatureRecord; afterFill: (written: WrittenBlobs) => Promise<void> } | Record<string, never>> {
  const rules = manifest.signatures ?? [];
  if (rules.length === 0) return {};
  const sources = pullSources(plans, store);
  const signatures = await checkBeforeWriting(index, sources, rules, manifest.path, events);
  return {
    signatures,
    afterFill: (written) => checkWritten(index, writtenOr(written, sources), rules, manifest.path, signatures),
  };
}

async function checkBeforeWriting(
  index: Descriptor[],
  sources: Pick<ReadOnlyStorage, 'fetch'>,
  rules: SignatureRule[],
  manifestPath: string,
  events: EventSink,
): Promise<SignatureRecord> {
  const outcomes = await enforceBundleSignatures({ index, blobs: sources, rules, events });
  return recordOf(outcomes, dirname(manifestPath));
}

async function checkWritten(
  index: Descriptor[],
  written: Pick<ReadOnlyStorage, 'fetch'>,
  rules: SignatureRule[],
  manifestPath: string,
  planned: SignatureRecord,
): Promise<void> {
  const again = await recordOf(await enforceBundleSignatures({ index, blobs: written, rules }), dirname(manifestPath));
  if (JSON.stringify(again) !== JSON.stringify(planned))
    throw new FerryError(
      'INTERNAL',
      `${manifestPath}: the signature check of the written bundle found other signatures than the check before writing; pull again`,
    );
}

/** Where the pull's bytes come from before they are written: each planned graph's source, else the cache. */
export function pullSources(plans: GraphPlan[], store: ContentStore): Pick<ReadOnlyStorage, 'fetch'> {
  const owner = new Map<string, GraphPlan>();
  for (const p of plans) for (const n of p.nodes) if (!owner.has(n.digest)) owner.set(n.digest, p);
  return {
    fetch: (desc: Descriptor): Promise<Readable> => (owner.get(desc.digest)?.source ?? store).fetch(desc),
  };
}

/** The written bundle's blobs, and the sources for what it leaves out (a delta's omitted blobs). */
export function writtenOr(
  written: Pick<ReadOnlyStorage, 'fetch'> & { has(digest: string): boolean },
  sources: Pick<ReadOnlyStorage, 'fetch'>,
) {
  return { fetch: (desc: Descriptor) => (written.has(desc.digest) ? written : sources).fetch(desc) };
}

import { dirname } from 'node:path';
import { BundleReader } from '../bundle/reader.js';
import { FerryError } from '../core/errors.js';
import { loadManifest } from '../manifest/load.js';
import { type ImagePolicyOutcome, checkBundleSignatures } from './signature-policy.js';
import { type SignatureRecord, recordOf } from './signature-record.js';

export interface BundlePolicyResult {
  outcomes: ImagePolicyOutcome[];
  record: SignatureRecord;
  /** The first image that failed, when one did. */
  error?: FerryError;
}

/**
 * `bundle verify --policy MANIFEST` and `bundle audit --policy MANIFEST`: spec.signatures of that bundle manifest
 * (its key and trusted root paths relative to it) checked offline against the bundle's own bytes — its index.json
 * entries and the carried signature manifests and layers, each read through its digest. Run it on a bundle that
 * verified intact: this check reads only what it needs.
 */
export async function checkBundlePolicy(bundlePath: string, manifestPath: string): Promise<BundlePolicyResult> {
  const manifest = await loadManifest(manifestPath);
  const rules = manifest.signatures ?? [];
  if (rules.length === 0)
    throw new FerryError(
      'USAGE',
      `${manifestPath}: no spec.signatures, so --policy has nothing to check; name the bundle manifest with the signature rules`,
      { path: manifestPath },
    );
  const reader = await BundleReader.open(bundlePath);
  try {
    const outcomes = await checkBundleSignatures({ index: reader.index().manifests, blobs: reader, rules });
    const record = await recordOf(outcomes, dirname(manifestPath));
    const error = outcomes.find((o) => o.error)?.error;
    return { outcomes, record, ...(error ? { error } : {}) };
  } finally {
    await reader.close();
  }
}

import type { Digest } from '../core/digest.js';
import type { Descriptor } from '../core/media-types.js';
import type { RegistryClient } from './client.js';
import { registryError } from './registry-error.js';

/** The referrers API answers with an OCI index (distribution-spec v1.1 "Listing Referrers"). */
const REFERRERS_ACCEPT = 'application/vnd.oci.image.index.v1+json';

/**
 * The referrers of a manifest (distribution-spec v1.1 "Listing Referrers"), every page, as the registry lists them:
 * the list has no digest of its own, so the caller reads each referrer by its digest. undefined when the registry
 * answers 404, whatever the content type: it has no referrers API (Debian's docker-registry 2.8 answers a plain-text
 * `404 page not found`), and the spec's fallback is the `sha256-<hex>` tag schema.
 */
export async function listReferrers(
  client: RegistryClient,
  registry: string,
  repo: string,
  digest: Digest,
): Promise<Descriptor[] | undefined> {
  const what = `${registry}/${repo} referrers of ${digest}`;
  const noApi = new Error('no referrers API');
  try {
    const found = await client.paginate(
      registry,
      `/v2/${repo}/referrers/${digest}`,
      [`repository:${repo}:pull`],
      what,
      'manifests',
      async (res) => {
        if (res.status !== 404) return registryError(res, `${what}: request failed`);
        await res.body.dump();
        return noApi;
      },
      { accept: REFERRERS_ACCEPT },
    );
    return (found as unknown[]).filter(isDescriptor);
  } catch (err) {
    if (err === noApi) return undefined;
    throw err;
  }
}

function isDescriptor(d: unknown): d is Descriptor {
  const x = d as Partial<Descriptor> | null;
  return typeof x?.digest === 'string' && typeof x.mediaType === 'string' && typeof x.size === 'number';
}

import type { BundleReader } from '../bundle/reader.js';
import { type Descriptor, isIndexType, isManifestType } from '../core/media-types.js';
import { walkGraph } from '../graph/walk.js';
import { planPush } from '../push/plan-push.js';
import { FerryError } from '../core/errors.js';
import { mediaTypeProblem } from '../validate/grammar.js';
import { quoteUntrusted } from '../validate/untrusted-text.js';
import { addReferrers } from './referrers.js';

/** One repository as the bundle serves it: tags, and every manifest and blob of its images, by digest. */
export interface ServedRepository {
  tags: Map<string, Descriptor>;
  manifests: Map<string, Descriptor>;
  blobs: Map<string, Descriptor>;
  /** By subject digest: the OCI 1.1 referrers of it (referrers.ts). */
  referrers: Map<string, Descriptor[]>;
  /** Manifests serve made (the referrers tag indexes), by digest: their bytes are in no bundle. */
  made: Map<string, Buffer>;
}

/**
 * The repositories a bundle serves, named as `bundle push` would name them with no prefix
 * (`docker.io/velero/velero:v1.9.1` → `velero/velero:v1.9.1`, charts as `charts/<name>:<version>`, carried cosign
 * tags beside their images), so a node pointed at the served registry finds the same names it will find in the
 * enclave registry later; OCI 1.1 referrers also through the referrers API and their tag-schema tags (referrers.ts).
 */
export async function servedRepositories(reader: BundleReader): Promise<Map<string, ServedRepository>> {
  const repos = new Map<string, ServedRepository>();
  // Graphs only: the images inside RKE2 tarballs are not served.
  const plan = (await planPush(reader, { registry: 'serve', prefix: '' })).filter((s) => s.how.via === 'graph').map((s) => s.item);
  for (const item of plan) {
    let repo = repos.get(item.repository);
    if (!repo)
      repos.set(
        item.repository,
        (repo = { tags: new Map(), manifests: new Map(), blobs: new Map(), referrers: new Map(), made: new Map() }),
      );
    const root: Descriptor = { mediaType: item.root.mediaType, digest: item.root.digest, size: item.root.size };
    if (item.tag !== undefined) repo.tags.set(item.tag, root);
    for (const node of await walkGraph(reader, [root])) {
      // Served as Content-Type: a media type outside RFC 6838 would break (or split) the response header.
      const why = mediaTypeProblem(node.mediaType);
      if (why)
        throw new FerryError(
          'UNSAFE_VALUE',
          `${item.source}: blob ${node.digest} media type ${quoteUntrusted(String(node.mediaType))} ${why}: refused, nothing is served`,
          { digest: node.digest },
        );
      if (isManifestType(node.mediaType) || isIndexType(node.mediaType)) repo.manifests.set(node.digest, node);
      else repo.blobs.set(node.digest, node);
    }
  }
  for (const [name, repo] of repos)
    await addReferrers(
      reader,
      repo,
      plan.filter((i) => i.repository === name).map((i) => i.root),
    );
  return repos;
}

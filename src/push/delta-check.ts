import type { BundleReader } from '../bundle/reader.js';
import type { Digest } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { walkGraph } from '../graph/walk.js';
import type { RegistryClient } from '../registry/client.js';
import type { PushStep } from '../kinds/facets/push.js';

/**
 * A delta bundle leaves out blobs the enclave already has. Before anything is uploaded (and so before any tag
 * moves), every left-out blob an image needs must be in the registry: in the image's repository, or mountable from
 * another repository of this push that has it. Anything else fails the push, naming each missing blob and the image
 * that needs it.
 */
export async function checkDeltaBase(
  reader: BundleReader,
  steps: PushStep[],
  client: RegistryClient,
  registry: string,
  events: EventSink,
): Promise<void> {
  const omitted = new Set((reader.meta.delta?.omitted ?? []).map((o) => o.digest));
  if (omitted.size === 0) return;
  const plan = steps.filter((s) => s.how.via === 'graph').map((s) => s.item);
  const needs: { digest: string; repository: string; source: string }[] = [];
  for (const item of plan) {
    for (const node of await walkGraph(reader, [item.root])) {
      if (omitted.has(node.digest)) needs.push({ digest: node.digest, repository: item.repository, source: item.source });
    }
  }
  const holders = new Map<string, string | undefined>();
  const holderOf = async (digest: string): Promise<string | undefined> => {
    if (holders.has(digest)) return holders.get(digest);
    let found: string | undefined;
    for (const repo of new Set(plan.map((p) => p.repository))) {
      if (await client.blobExists(registry, repo, digest as Digest)) {
        found = repo;
        break;
      }
    }
    holders.set(digest, found);
    return found;
  };
  const missing: string[] = [];
  for (const n of needs) {
    if (await client.blobExists(registry, n.repository, n.digest as Digest)) continue;
    const from = await holderOf(n.digest);
    if (from && (await client.mountBlob(registry, n.repository, n.digest as Digest, from))) {
      events({ type: 'blob', action: 'mounted', digest: n.digest, size: 0, repo: n.repository });
      continue;
    }
    missing.push(`${n.digest} (needed by ${n.source}, in ${registry}/${n.repository})`);
  }
  // Image tarballs left out: their images must already be in the registry.
  for (const { item, how } of steps) {
    if (how.via !== 'tarball' || reader.hasBlob(how.tarball.content.digest)) continue;
    const got = await client.headManifest(registry, item.repository, item.tag as string).catch(() => undefined);
    if (got?.digest !== item.root.digest)
      missing.push(
        `${how.tarball.name} (left out of this delta; ${item.source} is not at ${item.root.digest} in ${registry}/${item.repository})`,
      );
  }
  if (missing.length > 0) {
    const base = reader.meta.delta?.base;
    throw new FerryError(
      'DELTA_BASE_MISSING',
      `this is a delta bundle (against ${base?.kind} ${base?.file}), and ${registry} lacks what it left out; nothing was pushed:\n  ${missing.join('\n  ')}\npush the base bundle first, or pull a full bundle`,
      { missing },
    );
  }
}

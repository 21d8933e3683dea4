import pLimit from 'p-limit';
import type { BundleReader } from '../bundle/reader.js';
import { planPush } from '../push/plan-push.js';
import type { PushTarget } from '../registry/push-target.js';
import type { RegistryClient } from '../registry/client.js';
import type { RegistryTag } from './audit-model.js';

/**
 * Post-push confirmation: every tag the bundle would push to `target`, read back from the registry (HEAD, the
 * Docker-Content-Digest it answers) and compared with the digest the bundle holds. A tag moved after the push, or
 * never set, shows up here.
 */
export async function confirmTags(reader: BundleReader, target: PushTarget, client: RegistryClient): Promise<RegistryTag[]> {
  const plan = (await planPush(reader, target)).map((s) => s.item);
  const items = plan
    .filter((p) => p.tag !== undefined)
    .map((p) => ({ source: p.source, repository: p.repository, tag: p.tag as string, expected: p.root.digest as string }));
  const limit = pLimit(8);
  return Promise.all(
    items.map((i) =>
      limit(async (): Promise<RegistryTag> => {
        const target_ = `${target.registry}/${i.repository}:${i.tag}`;
        const got = await client.headManifest(target.registry, i.repository, i.tag).catch(() => undefined);
        return {
          source: i.source,
          target: target_,
          expected: i.expected,
          ...(got ? { actual: got.digest } : {}),
          result: got?.digest === i.expected ? 'ok' : 'failed',
        };
      }),
    ),
  );
}

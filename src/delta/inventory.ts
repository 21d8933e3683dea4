import pLimit from 'p-limit';
import { z } from 'zod';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { type ImageIndex, type ImageManifest, isIndexType } from '../core/media-types.js';
import type { PushTarget } from '../registry/push-target.js';
import type { RegistryClient } from '../registry/client.js';

/**
 * What an enclave registry already holds (docs/transfer.md): repositories, their tags and digests, and every blob
 * and manifest digest their images use — so the connected side can build a delta bundle against reality.
 */
export interface Inventory {
  inventoryVersion: 1;
  registry: string;
  prefix: string;
  created: string;
  repositories: { name: string; tags: Record<string, string> }[];
  /** Digests of every blob (configs and layers) the tagged images use. */
  blobs: string[];
  manifests: string[];
}

const schema = z
  .object({
    inventoryVersion: z.literal(1),
    registry: z.string(),
    prefix: z.string(),
    created: z.string(),
    repositories: z.array(z.object({ name: z.string(), tags: z.record(z.string()) }).strict()),
    blobs: z.array(z.string()),
    manifests: z.array(z.string()),
  })
  .strict();

export function parseInventory(text: string, path: string): Inventory {
  try {
    return schema.parse(JSON.parse(text)) as Inventory;
  } catch (err) {
    throw new FerryError('USAGE', `${path} is not a ferry registry inventory: ${(err as Error).message.split('\n')[0]}`, { path });
  }
}

/**
 * `ferry registry inventory`: lists the catalog (under the prefix, when one is given), each repository's tags, and
 * walks each tag's manifests (GETs of manifests only, never of blobs) to collect the blob digests.
 */
export async function takeInventory(client: RegistryClient, target: PushTarget, events: EventSink): Promise<Inventory> {
  const all = await client.listRepositories(target.registry);
  const names = all.filter((n) => !target.prefix || n.startsWith(`${target.prefix}/`)).sort();
  const blobs = new Set<string>();
  const manifests = new Set<string>();
  const limit = pLimit(8);
  const repositories = await Promise.all(
    names.map((name) =>
      limit(async () => {
        const tags: Record<string, string> = {};
        for (const tag of (await client.listTags(target.registry, name)).sort()) {
          const { descriptor, body } = await client.getManifest(target.registry, name, tag);
          tags[tag] = descriptor.digest;
          await walk(client, target.registry, name, descriptor.mediaType, descriptor.digest, body, blobs, manifests);
        }
        events({ type: 'info', message: `  ${name}: ${Object.keys(tags).length} tags` });
        return { name, tags };
      }),
    ),
  );
  return {
    inventoryVersion: 1,
    registry: target.registry,
    prefix: target.prefix,
    created: new Date().toISOString(),
    repositories,
    blobs: [...blobs].sort(),
    manifests: [...manifests].sort(),
  };
}

async function walk(
  client: RegistryClient,
  registry: string,
  repo: string,
  mediaType: string,
  digest: string,
  body: Buffer,
  blobs: Set<string>,
  manifests: Set<string>,
): Promise<void> {
  if (manifests.has(digest)) return;
  manifests.add(digest);
  const doc = JSON.parse(body.toString('utf8')) as ImageIndex & ImageManifest;
  if (isIndexType(mediaType) || Array.isArray(doc.manifests)) {
    for (const child of doc.manifests ?? []) {
      if (manifests.has(child.digest)) continue;
      const got = await client.getManifest(registry, repo, child.digest).catch(() => undefined);
      if (got) await walk(client, registry, repo, got.descriptor.mediaType, child.digest, got.body, blobs, manifests);
    }
    return;
  }
  if (doc.config) blobs.add(doc.config.digest);
  for (const l of doc.layers ?? []) blobs.add(l.digest);
}

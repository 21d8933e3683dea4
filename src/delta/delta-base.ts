import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FerryError } from '../core/errors.js';
import { type ImageIndex, type ImageManifest, isIndexType } from '../core/media-types.js';
import { parseReference } from '../core/reference.js';
import { parseLock } from '../lock/lock-file.js';
import type { RegistryClient } from '../registry/client.js';
import { parseInventory } from './inventory.js';

/** What the enclave already has, as a delta bundle leaves it out (docs/transfer.md). */
export interface DeltaBase {
  kind: 'lock' | 'inventory';
  file: string;
  sha256: string;
  /** Blob digests the enclave holds: a delta bundle does not carry these. */
  digests: Set<string>;
}

/**
 * Reads `--since BASE`: a registry inventory (every blob the enclave registry holds), or the lock of the bundle the
 * enclave last received (its images' blobs, found by reading their manifests upstream, and its files' sha256s).
 */
export async function loadDeltaBase(path: string, client: RegistryClient): Promise<DeltaBase> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    throw new FerryError('USAGE', `--since ${path}: ${(err as Error).message}`, { path });
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  const json = JSON.parse(text.toString('utf8')) as { inventoryVersion?: unknown; lockVersion?: unknown };
  if (json.inventoryVersion !== undefined) {
    const inv = parseInventory(text.toString('utf8'), path);
    return { kind: 'inventory', file: basename(path), sha256, digests: new Set([...inv.blobs, ...inv.manifests]) };
  }
  const lock = parseLock(text.toString('utf8'), path);
  const digests = new Set<string>();
  for (const img of lock.images) {
    const ref = parseReference(img.ref);
    await collect(client, ref.registry, ref.repository, img.upstreamDigest, digests);
  }
  const hexes = [...lock.files, ...(lock.rke2?.files ?? [])].map((f) => f.sha256);
  hexes.push(...(lock.charts ?? []).map((c) => c.sha256), ...(lock.apt ?? []).flatMap((a) => a.debs.map((d) => d.sha256)));
  if (lock.ferry) hexes.push(lock.ferry.sha256, ...(lock.ferry.sbom ? [lock.ferry.sbom.sha256] : []));
  for (const h of hexes) digests.add(`sha256:${h}`);
  return { kind: 'lock', file: basename(path), sha256, digests };
}

async function collect(client: RegistryClient, registry: string, repo: string, digest: string, out: Set<string>): Promise<void> {
  if (out.has(digest)) return;
  out.add(digest);
  const { descriptor, body } = await client.getManifest(registry, repo, digest);
  const doc = JSON.parse(body.toString('utf8')) as ImageIndex & ImageManifest;
  if (isIndexType(descriptor.mediaType) || Array.isArray(doc.manifests)) {
    for (const child of doc.manifests ?? []) await collect(client, registry, repo, child.digest, out).catch(() => undefined);
    return;
  }
  if (doc.config) out.add(doc.config.digest);
  for (const l of doc.layers ?? []) out.add(l.digest);
}

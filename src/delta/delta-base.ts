import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FerryError } from '../core/errors.js';
import { KINDS, lockedOf } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
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
 * enclave last received (each kind's content pins, plus what the kind adds: its images' blobs, found by reading
 * their manifests upstream).
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
  for (const kind of KINDS as readonly AnyKind[]) {
    for (const locked of lockedOf(lock, kind)) {
      // A content pin is a blob the enclave holds; a root pin (an image) is only the start of its graph.
      for (const pin of kind.pins(locked)) if (!pin.isRoot) digests.add(pin.digest);
      await kind.addHeld?.(locked, digests, client);
    }
  }
  return { kind: 'lock', file: basename(path), sha256, digests };
}

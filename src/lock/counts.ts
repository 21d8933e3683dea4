import { LOCK_FILE } from '../bundle/format.js';
import type { BundleReader } from '../bundle/reader.js';
import { KINDS, type Kind, lockedOf } from '../kinds/index.js';
import { parseLock } from './lock-file.js';
import type { Lock } from './types.js';

/**
 * What a bundle holds, by kind — the one vocabulary of counts every command's summary speaks (pull, inspect, audit,
 * push, stage), computed from the lock alone, so the same bundle always gets the same numbers. `images` includes the
 * images charts brought in (they are pulled and pushed as images); `rke2Files` are the release's files, its image
 * tarballs among them; `aptPackages` the .debs of the dependency closure.
 */
export interface BundleCounts {
  /** A kind's own counts beyond these (its view's count and countFields), left out when it has none of them. */
  [field: string]: number | string | undefined;
  images: number;
  charts: number;
  files: number;
  rke2Files: number;
  aptPackages: number;
  /** The version of ferry's own executable, when the bundle carries it (spec.ferry / --with-ferry). */
  ferry?: string;
}

/**
 * The kinds in the order summaries say their counts and --json lists them (their view's countOrder: images, charts,
 * files, RKE2 files, apt packages, ferry), which is not index.json order (KINDS).
 */
export function kindsInCountOrder(): Kind[] {
  return [...KINDS].sort((a, b) => a.countOrder - b.countOrder);
}

/** Each kind's share of the counts (its view facet's count), from its lock entries, in count order. */
export function bundleCounts(lock: Lock): BundleCounts {
  const counts: Record<string, number | string | undefined> = {};
  for (const kind of kindsInCountOrder()) Object.assign(counts, kind.count(lockedOf(lock, kind) as never));
  return counts as BundleCounts;
}

/** The counts of a bundle, from the lock it carries. */
export async function bundleCountsOf(reader: BundleReader): Promise<BundleCounts> {
  return bundleCounts(parseLock((await reader.lockBytes()).toString('utf8'), LOCK_FILE));
}

/** The counts of a bundle file (for a command that holds no reader of its own). */
export async function bundleCountsOfFile(path: string): Promise<BundleCounts> {
  const { BundleReader } = await import('../bundle/reader.js');
  const reader = await BundleReader.open(path);
  try {
    return await bundleCountsOf(reader);
  } finally {
    await reader.close();
  }
}

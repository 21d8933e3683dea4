import { removeStalePartialsUnder } from '../core/partial-files.js';
import { join } from 'node:path';
import { type EventSink, inPhase, noEvents } from '../core/events.js';
import { Annotation } from '../core/media-types.js';
import { BundleReader } from '../bundle/reader.js';
import type { StageContext, StageStep } from '../kinds/facets/view.js';
import { KINDS, type Kind, lockedOf } from '../kinds/index.js';
import { LOCK_FILE } from '../bundle/format.js';
import { parseLock } from '../lock/lock-file.js';
import { gateBundle } from '../validate/gate.js';
import { type BundleCounts, bundleCounts } from '../lock/counts.js';

export interface StageOptions extends Omit<StageContext, 'root' | 'events'> {
  bundlePath: string;
  dir: string;
  events?: EventSink;
}

export type { StagedFile } from '../bundle/copy-out.js';

/** A kind's stage step, if it has one. */
type StagingKind = Extract<Kind, { stage: StageStep<unknown> }>;
type StagedOf<K> = K extends { stage: StageStep<infer S> } ? S : never;

/**
 * What was staged, under each kind's lock key (`files`, `rke2`, `charts`, `apt`, `ferry`): a kind the bundle holds
 * none of is left out, except one whose step is `always` there (`files: []`).
 */
export type StageResult = {
  dir: string;
  /** What the bundle holds, by kind (the vocabulary every command's summary uses). */
  counts: BundleCounts;
} & { [K in StagingKind as K['stage'] extends { always: true } ? K['key'] : never]: StagedOf<K> } & {
  [K in StagingKind as K['stage'] extends { always: true } ? never : K['key']]?: StagedOf<K>;
};

/** Every kind's stage step, in the order stage runs them (StageStep.order). */
export function stagingKinds(): StagingKind[] {
  return KINDS.filter((k): k is StagingKind => 'stage' in k && k.stage !== undefined).sort((a, b) => a.stage.order - b.stage.order);
}

/**
 * `ferry bundle stage`: put node artifacts where their consumers look, each kind under its own directory of --dir
 * (files in `DIR/files/` with a SHA256SUMS, an RKE2 release in `DIR/rke2/`, …: the kinds' stage steps). Each file is
 * verified as it is copied out of the bundle and written under a temporary name first, so a damaged bundle never
 * leaves a wrong file behind.
 */
export async function stageBundle(opts: StageOptions): Promise<StageResult> {
  // Every byte copied out of the bundle counts in the stage phase.
  const events = inPhase(opts.events ?? noEvents, 'stage');
  const reader = await BundleReader.open(opts.bundlePath);
  try {
    // Every name below comes from the bundle: checked against its grammar and the lock before anything is written.
    await gateBundle(reader);
    const kinds = stagingKinds();
    // Temporary files a killed earlier stage left in the directories ferry stages into (their process is gone).
    await sweepStalePartials(
      opts.dir,
      kinds.map((k) => k.stage.dir),
      events,
    );
    const items = new Set(kinds.flatMap((k) => k.stage.items));
    events({
      type: 'phase',
      phase: 'stage',
      detail: opts.dir,
      totalItems: reader.index().manifests.filter((d) => items.has(d.annotations?.[Annotation.Kind] ?? '')).length,
    });
    const ctx: StageContext = { ...opts, root: opts.dir, events };
    const lock = parseLock((await reader.lockBytes()).toString('utf8'), LOCK_FILE);
    const staged: Record<string, unknown> = {};
    for (const kind of kinds) {
      opts.signal?.throwIfAborted();
      const s = await kind.stage.run(reader, ctx, lockedOf(lock, kind) as never);
      if (s !== undefined) staged[kind.key] = s;
    }
    return { dir: opts.dir, counts: bundleCounts(lock), ...staged } as StageResult;
  } finally {
    await reader.close();
  }
}

/** Only the directories stage writes into (files/, rke2/, charts/, apt/, ferry/); the rest of --dir is not ferry's to clean. */
async function sweepStalePartials(dir: string, subs: string[], events: EventSink): Promise<void> {
  const stale: string[] = [];
  for (const sub of subs) stale.push(...(await removeStalePartialsUnder(join(dir, sub))).map((p) => join(sub, p)));
  if (stale.length > 0)
    events({
      type: 'info',
      message: `removed ${stale.length} temporary file${stale.length === 1 ? '' : 's'} an interrupted earlier run left: ${stale.join(', ')}`,
    });
}

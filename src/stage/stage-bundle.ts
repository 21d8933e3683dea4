import { ensureDir } from '../core/fs-errors.js';
import { removeStalePartialsUnder } from '../core/partial-files.js';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from '../core/errors.js';
import { type EventSink, inPhase, noEvents } from '../core/events.js';
import { Annotation, type Descriptor, type ImageManifest } from '../core/media-types.js';
import { BundleReader } from '../bundle/reader.js';
import { type StagedFile, copyLayerOut, writeAtomic } from './copy-out.js';
import type { NodeRegistry } from '../kinds/rke2/registry-config.js';
import { type StagedRke2, stageRke2 } from '../kinds/rke2/stage-rke2.js';
import { type StagedCharts, stageCharts } from '../kinds/chart/stage-charts.js';
import { type StagedApt, stageApt } from '../kinds/apt/stage-apt.js';
import { type StagedFerry, stageFerry } from '../kinds/ferry/stage-ferry.js';
import { readMemberJson } from '../bundle/member-json.js';
import { gateBundle } from '../validate/gate.js';
import { type BundleCounts, bundleCountsOf } from '../lock/counts.js';
import { oneLine } from '../validate/untrusted-text.js';

export interface StageOptions {
  bundlePath: string;
  dir: string;
  /** The enclave registry, for RKE2's registries.yaml and config.toml.tmpl (with a CA file to copy, if any). */
  registry?: NodeRegistry & { caFile?: string };
  /** Armoured OpenPGP private key that signs the staged apt repository. */
  aptSignKey?: string;
  events?: EventSink;
  /** Ctrl-C: stops the copy under way (its temporary file is removed) and every step after it. */
  signal?: AbortSignal;
}

export type { StagedFile } from './copy-out.js';

export interface StageResult {
  dir: string;
  /** What the bundle holds, by kind (the vocabulary every command's summary uses). */
  counts: BundleCounts;
  files: StagedFile[];
  rke2?: StagedRke2;
  charts?: StagedCharts;
  apt?: StagedApt;
  ferry?: StagedFerry;
}

/**
 * `ferry bundle stage`: put node artifacts where their consumers look. Files land in `DIR/files/<name>` with a
 * `DIR/files/SHA256SUMS` beside them (so `sha256sum -c` works on the node); an RKE2 release in `DIR/rke2/`
 * (src/kinds/rke2/stage-rke2.ts). Each file is verified as it is copied
 * out of the bundle and written under a temporary name first, so a damaged bundle never leaves a wrong file behind.
 */
export async function stageBundle(opts: StageOptions): Promise<StageResult> {
  // Every byte copied out of the bundle counts in the stage phase.
  const events = inPhase(opts.events ?? noEvents, 'stage');
  const reader = await BundleReader.open(opts.bundlePath);
  try {
    // Every name below comes from the bundle: checked against its grammar and the lock before anything is written.
    await gateBundle(reader);
    // Temporary files a killed earlier stage left in the directories ferry stages into (their process is gone).
    await sweepStalePartials(opts.dir, events);
    const staged = new Set(['file', 'rke2', 'chart', 'apt', 'ferry']);
    events({ type: 'phase', phase: 'stage', detail: opts.dir, totalItems: reader.index().manifests.filter((d) => staged.has(d.annotations?.[Annotation.Kind] ?? '')).length });
    const files: StagedFile[] = [];
    const filesDir = join(opts.dir, 'files');
    const fileEntries = reader.index().manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'file');
    if (fileEntries.length > 0) await ensureDir(filesDir); // EROFS / EACCES named as such, not as ENOENT
    for (const desc of fileEntries) {
      events({ type: 'artifact-start', kind: 'file', name: desc.annotations?.[Annotation.Title] ?? desc.digest });
      opts.signal?.throwIfAborted();
      const staged = await stageFile(reader, desc, filesDir, events, opts.signal);
      files.push(staged);
      events({ type: 'artifact-done', kind: 'file', name: staged.name, digest: `sha256:${staged.sha256}` });
    }
    files.sort((a, b) => (a.name < b.name ? -1 : 1));
    if (fileEntries.length > 0) {
      // A name with a newline would add a line of its own to SHA256SUMS (and a backslash makes sha256sum unescape it).
      const sums = files.map((f) => `${f.sha256}  ${oneLine(f.name, 'file name')}\n`).join('');
      await writeAtomic(join(filesDir, 'SHA256SUMS'), Buffer.from(sums));
    }
    opts.signal?.throwIfAborted();
    const rke2 = await stageRke2(reader, opts.dir, events, opts.registry);
    opts.signal?.throwIfAborted();
    const charts = await stageCharts(reader, opts.dir, events);
    opts.signal?.throwIfAborted();
    const apt = await stageApt(reader, opts.dir, events, opts.aptSignKey);
    opts.signal?.throwIfAborted();
    const ferry = await stageFerry(reader, opts.dir, events, opts.signal);
    return { dir: opts.dir, counts: await bundleCountsOf(reader), files, ...(rke2 ? { rke2 } : {}), ...(charts ? { charts } : {}), ...(apt ? { apt } : {}), ...(ferry ? { ferry } : {}) };
  } finally {
    await reader.close();
  }
}

/** The directories stage writes into (files/, rke2/, charts/, apt/, ferry/); the rest of --dir is not ferry's to clean. */
const STAGED_DIRS = ['files', 'rke2', 'charts', 'apt', 'ferry'];

async function sweepStalePartials(dir: string, events: EventSink): Promise<void> {
  const stale: string[] = [];
  for (const sub of STAGED_DIRS) stale.push(...(await removeStalePartialsUnder(join(dir, sub))).map((p) => join(sub, p)));
  if (stale.length > 0) events({ type: 'info', message: `removed ${stale.length} temporary file${stale.length === 1 ? '' : 's'} an interrupted earlier run left: ${stale.join(', ')}` });
}

async function stageFile(reader: BundleReader, desc: Descriptor, filesDir: string, events: EventSink, signal?: AbortSignal): Promise<StagedFile> {
  const manifest = await readMemberJson<ImageManifest>(reader, desc, `file artifact ${desc.digest}`);
  if (manifest.layers.length !== 1) {
    throw new FerryError('BUNDLE_INVALID', `file artifact ${desc.digest} must have one layer`, { digest: desc.digest });
  }
  return copyLayerOut(reader, desc, manifest, filesDir, events, undefined, signal);
}

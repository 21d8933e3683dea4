import type { LimitFunction } from 'p-limit';
import type { BundleReader } from '../bundle/reader.js';
import type { EventSink } from '../core/events.js';
import { copyGraph } from '../graph/copy.js';
import type { FinishedStep, PushStep, PushedExtra, TarballSource } from '../kinds/facets/push.js';
import { KINDS } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import type { RegistryClient } from '../registry/client.js';
import { RegistryRepository } from '../registry/registry-repository.js';
import { type BlobLedger, MountingTarget } from './mounting-target.js';
import type { PushedImage } from './push-bundle.js';
import { pushTarballImages } from './push-tarball.js';

/** What running a push plan shares: one ledger for every repository, and which steps are already up to date. */
export interface StepRun {
  reader: BundleReader;
  client: RegistryClient;
  registry: string;
  events: EventSink;
  /** The same sink, inside the push phase (blob and byte events). */
  pushEvents: EventSink;
  ledger: BlobLedger;
  limit: LimitFunction;
  /** Blob uploads in flight per image. */
  concurrency: number;
  /** By step: its tag already has its digest. */
  upToDate: boolean[];
}

/**
 * The graph steps: each root copied children-first into its repository through a MountingTarget. Returns, by
 * step, the repository object of each graph: it keeps the manifest bodies it pushed, so tagging does not fetch
 * them back.
 */
export async function copyGraphSteps(steps: PushStep[], run: StepRun): Promise<(RegistryRepository | undefined)[]> {
  const { events, upToDate } = run;
  const repos = steps.map((s) => (s.how.via === 'graph' ? new RegistryRepository(run.client, run.registry, s.item.repository) : undefined));
  const trackers = new Map<string, Map<string, Promise<void>>>();
  const trackerFor = (repository: string) => {
    let t = trackers.get(repository);
    if (!t) trackers.set(repository, (t = new Map()));
    return t;
  };
  await Promise.all(
    steps.map(({ item, progress }, i) => {
      const repo = repos[i];
      if (!repo) return undefined;
      return run.limit(async () => {
        if (upToDate[i]) {
          events({ type: 'artifact-done', kind: progress, name: item.source, digest: item.root.digest, skipped: true });
          return;
        }
        events({ type: 'artifact-start', kind: progress, name: item.source });
        const target = new MountingTarget(repo, item.repository, run.ledger, run.pushEvents);
        await copyGraph(run.reader, target, item.root, {
          concurrency: run.concurrency,
          events: run.pushEvents,
          tracker: trackerFor(item.repository),
          subject: item.source,
        });
      });
    }),
  );
  return repos;
}

/**
 * The tarball steps, one tarball at a time (each is read front to back): an image whose tag already has its
 * digest is done, and its repository is where the ledger finds its blobs; the rest go up together.
 */
export async function streamTarballSteps(steps: PushStep[], run: StepRun): Promise<void> {
  const { events, upToDate } = run;
  const tarballs = new Map<string, { tarball: TarballSource['tarball']; steps: number[] }>();
  for (const [i, { how }] of steps.entries()) {
    if (how.via !== 'tarball') continue;
    const t = tarballs.get(how.tarball.name) ?? { tarball: how.tarball, steps: [] };
    tarballs.set(how.tarball.name, t);
    t.steps.push(i);
  }
  for (const t of tarballs.values()) {
    const todo: PushStep[] = [];
    for (const i of t.steps) {
      const step = steps[i] as PushStep;
      const { item, how, progress } = step;
      if (!upToDate[i]) {
        todo.push(step);
        events({ type: 'artifact-start', kind: progress, name: item.source });
        continue;
      }
      if (how.via === 'tarball') for (const b of how.blobs) run.ledger.record(b.digest, item.repository);
      events({ type: 'artifact-done', kind: progress, name: item.source, digest: item.root.digest, skipped: true });
    }
    if (todo.length > 0)
      await pushTarballImages(run.reader, t.tarball, todo, {
        client: run.client,
        registry: run.registry,
        events: run.pushEvents,
        ledger: run.ledger,
      });
  }
}

/**
 * The tag phase: every step not up to date gets its tag (a digest-only one has none), in plan order, except that
 * the steps referring to another manifest (a signature's image: PushStep.refersTo) come after all the others, so
 * their tags follow the images' own; the first failure stops the phase. The result is in plan order.
 */
export async function tagSteps(steps: PushStep[], repos: (RegistryRepository | undefined)[], run: StepRun): Promise<PushedImage[]> {
  const { registry, events } = run;
  const images: PushedImage[] = [];
  const order = [...steps.keys()].sort(
    (a, b) => Number(steps[a]?.refersTo !== undefined) - Number(steps[b]?.refersTo !== undefined) || a - b,
  );
  for (const i of order) {
    const { item, how, progress } = steps[i] as PushStep;
    // A graph pushed by digest only is up to date when its root was already there (the copy sent nothing).
    const found = item.tag === undefined && how.via === 'graph' && repos[i]?.put.has(item.root.digest) === false;
    const done = run.upToDate[i] === true || found;
    if (!done && item.tag !== undefined) {
      if (how.via === 'tarball') await run.client.putManifest(registry, item.repository, item.tag, item.root.mediaType, how.body);
      else await (repos[i] as RegistryRepository).tag(item.root, item.tag);
    }
    const target = `${registry}/${item.repository}${item.tag !== undefined ? `:${item.tag}` : `@${item.root.digest}`}`;
    if (!done || found)
      events({ type: 'artifact-done', kind: progress, name: item.source, digest: item.root.digest, ...(found ? { skipped: true } : {}) });
    images[i] = { kind: item.kind, source: item.source, target, digest: item.root.digest, upToDate: done };
  }
  return images;
}

/**
 * After the tag phase: each kind with a finishPush gets its own steps (PushStep.owner), in plan order, with whether
 * each was up to date and what the registry answered to its root manifest's PUT, if this push sent it.
 */
export async function finishSteps(steps: PushStep[], repos: (RegistryRepository | undefined)[], run: StepRun): Promise<PushedExtra[]> {
  const extras: PushedExtra[] = [];
  for (const kind of KINDS as readonly AnyKind[]) {
    if (!kind.finishPush) continue;
    const mine: FinishedStep[] = [];
    for (const [i, step] of steps.entries()) {
      if (step.owner !== kind.kind) continue;
      const put = repos[i]?.put.get(step.item.root.digest);
      mine.push({
        step,
        upToDate: run.upToDate[i] === true,
        ...(put ? { put: put.ociSubject ? { ociSubject: put.ociSubject } : {} } : {}),
      });
    }
    if (mine.length === 0) continue;
    extras.push(...(await kind.finishPush(mine, { reader: run.reader, client: run.client, registry: run.registry, events: run.events })));
  }
  return extras;
}

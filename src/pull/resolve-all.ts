import type { LimitFunction } from 'p-limit';
import type { ImpliedEntry, KindSource, ResolveStage, Resolved, SourceContext } from '../kinds/facets/source.js';
import { KINDS, lockedOf } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import type { Lock } from '../lock/types.js';
import type { BundleManifest } from '../manifest/types.js';
import { manifestEntries, setLocked } from './kind-entries.js';
import { type ResolveFailure, settleAll, throwIfFailed } from './resolve-failures.js';

/** A kind with its connected side loaded and its entries in this pull. */
export interface SourcedKind {
  kind: AnyKind;
  source: KindSource;
  entries: unknown[];
}

/** Every kind's source, in KINDS order, with its entries (a local kind's entries are paths: read now, nothing else). */
export async function loadSources(manifest: BundleManifest, ctx: SourceContext): Promise<SourcedKind[]> {
  const out: SourcedKind[] = [];
  for (const kind of KINDS as readonly AnyKind[]) {
    const source = await kind.loadSource();
    out.push({ kind, source, entries: source.entries ? await source.entries(manifest, ctx) : manifestEntries(manifest, kind) });
  }
  return out;
}

/** The resolve phase's detail: what the manifest asks for (`2 images, 1 files, RKE2 v1.30.2+rke2r1`). */
export function resolveDetail(kinds: SourcedKind[]): string {
  return kinds.flatMap((k) => k.source.summary?.(k.entries) ?? []).join(', ');
}

interface Item {
  k: SourcedKind;
  entry: unknown;
  implied?: ImpliedEntry;
}

/**
 * Resolves every entry of the kinds of one stage (facets/source.ts ResolveStage) under the pull's one limit, and
 * reports every failure at once (resolve-failures.ts); then says each kind's lines, in KINDS order. Returns the
 * locked entries by kind, in entry order, and what they imply for later stages.
 */
export async function resolveStage(
  kinds: SourcedKind[],
  stage: ResolveStage,
  items: Item[],
  ctx: SourceContext,
  limit: LimitFunction,
  report = true,
): Promise<{ locked: Map<SourcedKind, unknown[]>; implies: ImpliedEntry[] }> {
  const inStage = kinds.filter((k) => k.source.stage === stage);
  const counted = items.filter((i) => i.k.source.announces);
  if (inStage.some((k) => k.source.announces)) {
    // Said as what is counted: `images`, `artifacts`, or both (`images and artifacts`) when a pull has both.
    const nouns = [...new Set(counted.map((i) => i.k.source.announces ?? ''))];
    const itemNoun = nouns.length > 0 ? nouns.join(' and ') : (inStage.find((k) => k.source.announces)?.source.announces ?? 'images');
    ctx.events({ type: 'phase', phase: 'resolve', totalItems: counted.length, itemNoun });
  }
  const failures: ResolveFailure[] = [];
  const tasks = resolveTasks(items);
  const results = await settleAll(
    tasks,
    (task) =>
      limit(async () => {
        const first = task[0] as Item;
        if (first.k.source.resolveAll) {
          const all = await first.k.source.resolveAll(
            task.map((it) => it.entry),
            ctx,
          );
          return task.map((it, n) => ({ it, r: all[n] as Resolved<unknown> }));
        }
        const { resolve, resolveList } = first.k.source;
        const pinned = resolveList
          ? resolveList(first.entry, ctx).then((list) => ({ list }))
          : (resolve as NonNullable<typeof resolve>)(first.entry, ctx).then((r) => ({ r }));
        const done = await pinned.catch((err: unknown) => {
          // An entry another one brought in (a chart's image): say which and where, and how to leave it out.
          if (first.implied && err instanceof Error)
            err.message += `\n  found in ${first.implied.origin}${first.implied.hint ? `; ${first.implied.hint}` : ''}`;
          throw err;
        });
        return [{ it: first, ...done }];
      }),
    (task) => describeTask(task, ctx),
    failures,
  ).then((r) => r.flat());
  throwIfFailed(failures, items.length);
  const locked = new Map<SourcedKind, unknown[]>(inStage.map((k) => [k, []]));
  for (const done of results) locked.get(done.it.k)?.push(...('list' in done ? done.list : [done.r.locked]));
  if (report)
    for (const k of inStage)
      for (const l of locked.get(k) ?? []) for (const message of k.source.report?.(l) ?? []) ctx.events({ type: 'info', message });
  return { locked, implies: results.flatMap((done) => ('r' in done ? (done.r.implies ?? []) : [])) };
}

/** The stage's items as resolve tasks: one per item, except that a kind with `resolveAll` takes all of its items in one. */
function resolveTasks(items: Item[]): Item[][] {
  const tasks: Item[][] = [];
  const together = new Map<SourcedKind, Item[]>();
  for (const it of items) {
    const group = together.get(it.k);
    if (group) group.push(it);
    else {
      tasks.push([it]);
      if (it.k.source.resolveAll) together.set(it.k, tasks[tasks.length - 1] as Item[]);
    }
  }
  return tasks;
}

/** A task in a failure list: its entry, or its entries joined (`apt http://a + apt http://b`) with the first URL. */
function describeTask(task: Item[], ctx: SourceContext): { what: string; url: string } {
  const described = task.map((it) => it.k.source.describe(it.entry, ctx));
  return { what: described.map((d) => d.what).join(' + '), url: described[0]?.url ?? '' };
}

/**
 * The entries of local kinds, read from local files before any download (a wrong path fails first); said when
 * resolving, silent on a --lock pull, which only checks the lock against them.
 */
export async function resolveLocal(
  kinds: SourcedKind[],
  ctx: SourceContext,
  limit: LimitFunction,
  report: boolean,
): Promise<Map<SourcedKind, unknown[]>> {
  const items = kinds.filter((k) => k.source.stage === 'local').flatMap((k) => k.entries.map((entry) => ({ k, entry })));
  return (await resolveStage(kinds, 'local', items, ctx, limit, report)).locked;
}

/** A --lock pull: each local kind's lock entries must be what was read now. */
export function checkLocalLock(kinds: SourcedKind[], lock: Lock, local: Map<SourcedKind, unknown[]>, manifestPath: string): void {
  for (const k of kinds) if (k.source.stage === 'local') k.source.checkLock?.(lockedOf(lock, k.kind), local.get(k) ?? [], manifestPath);
}

/**
 * The resolve step of pull: every entry of every kind pinned, stage by stage; an entry one brings in for another
 * kind (a chart's images) joins that kind's stage unless the manifest names it already (then it keeps the
 * manifest's own settings, its platforms). `local` holds what resolveLocal read. The result is the lock.
 */
export async function resolveAll(
  manifest: BundleManifest,
  kinds: SourcedKind[],
  local: Map<SourcedKind, unknown[]>,
  ctx: SourceContext,
  limit: LimitFunction,
): Promise<Lock> {
  const queued = new Map<SourcedKind, Item[]>(kinds.map((k) => [k, k.entries.map((entry) => ({ k, entry }))]));
  const named = new Map<SourcedKind, Set<string>>(
    kinds.map((k) => [k, new Set(k.source.key ? k.entries.map((e) => k.source.key?.(e) ?? '') : [])]),
  );
  const locked = new Map(local);
  const stages: ResolveStage[] = ['first', 'implying', 'counted', 'last'];
  for (const [i, stage] of stages.entries()) {
    const items = kinds.filter((k) => k.source.stage === stage).flatMap((k) => queued.get(k) ?? []);
    const done = await resolveStage(kinds, stage, items, ctx, limit);
    for (const [k, l] of done.locked) locked.set(k, l);
    for (const implied of done.implies) {
      const k = kinds.find((x) => x.kind.kind === implied.kind);
      if (!k || !stages.slice(i + 1).includes(k.source.stage))
        throw new Error(`an entry of kind ${implied.kind} cannot be implied at the ${stage} stage`);
      const key = k.source.key?.(implied.entry);
      const seen = named.get(k) as Set<string>;
      if (key !== undefined && seen.has(key)) continue;
      if (key !== undefined) seen.add(key);
      queued.get(k)?.push({ k, entry: implied.entry, implied });
    }
  }
  const lock = { lockVersion: 1, bundle: { name: manifest.name } } as Lock;
  for (const k of kinds) setLocked(lock, k.kind, locked.get(k) ?? []);
  return lock;
}

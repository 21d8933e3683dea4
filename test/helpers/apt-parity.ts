import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FerryEvent } from '../../src/core/events.js';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { aptGet, simulatedInstalls, simulatedRemovals } from './apt-repo.js';
import type { FileHost } from './file-host.js';
import { run, scratch } from '../integration/ferry-env.js';

/**
 * Shared steps of the tests that hold ferry's apt resolution to real apt: what `apt-get install --simulate` does in
 * an isolated configuration, what ferry's lock carries, and what real apt does with the repository ferry stages.
 */

/** What apt-get install --simulate would do: `name version` of each Inst and Remv line, sorted. */
export interface AptAnswer {
  installs: string[];
  removals: string[];
  /** apt's output, for the failure message. */
  out: string;
}

/** An isolated apt (helpers/apt-repo.ts aptGet) with its sources, lists and status, updated once and asked often. */
export interface AptNode {
  state: string;
  sources: string;
  update(): Promise<string>;
  /** `apt-get install --simulate` of `packages` on a node whose dpkg status is `status` (text; '' for an empty node). */
  simulate(packages: string[], opts: { status: string; recommends: boolean; extra?: string[] }): Promise<AptAnswer>;
}

let statusFiles = 0;

export function aptNode(sources: string, state = scratch('ferry-apt-node-')): AptNode {
  const emptyStatus = join(state, 'status');
  writeFileSync(emptyStatus, '');
  return {
    state,
    sources,
    update: () => aptGet(state, sources, emptyStatus, ['update']),
    async simulate(packages, { status, recommends, extra = [] }) {
      const file = join(state, `status-${++statusFiles}`);
      writeFileSync(file, status);
      const out = await aptGet(state, sources, file, [
        'install',
        '--simulate',
        '-q',
        recommends ? '--install-recommends' : '--no-install-recommends',
        ...extra,
        ...packages,
      ]).finally(() => rmSync(file, { force: true }));
      return { installs: simulatedInstalls(out), removals: simulatedRemovals(out), out };
    },
  };
}

/** Every deb the lock carries, over all its apt entries, as `name version`, sorted. */
export function lockedDebs(lockPath: string): string[] {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { apt?: { debs: { name: string; version: string }[] }[] };
  return (lock.apt ?? []).flatMap((e) => e.debs.map((d) => `${d.name} ${d.version}`)).sort();
}

/** What ferry said about packages apt would remove or refuse: the lock's conflicts and the pull's apt warnings. */
export function reportedProblems(lockPath: string, events: FerryEvent[]): string {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { apt?: { conflicts?: string[] }[] };
  const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
  return [...(lock.apt ?? []).flatMap((e) => e.conflicts ?? []), ...warnings].join('\n');
}

/** Names apt removes that ferry's report does not name (empty when ferry said what apt will remove). */
export function unreportedRemovals(removals: string[], report: string): string[] {
  return removals
    .map((r) => r.split(' ')[0] as string)
    .filter((name) => !new RegExp(`(^|[\\s,(])${name.replace(/[.+]/g, '\\$&')}([\\s,:)]|$)`, 'm').test(report));
}

/** The two sets side by side: what only ferry carries and what only apt installs (both empty when they agree). */
export function setDiff(ferry: string[], apt: string[]): { onlyFerry: string[]; onlyApt: string[] } {
  const a = new Set(apt);
  const f = new Set(ferry);
  return { onlyFerry: ferry.filter((x) => !a.has(x)), onlyApt: apt.filter((x) => !f.has(x)) };
}

/** `ferry bundle pull` (the built CLI, its own process): the lock it wrote, and its warnings and errors (stderr). */
export async function cliPull(manifestPath: string, out: string, cache: string): Promise<{ lockPath: string; stderr: string }> {
  const r = await run(['--no-progress', 'bundle', 'pull', manifestPath, '-o', out, '--cache', cache]);
  if (r.code !== 0) throw new Error(`ferry bundle pull failed (exit ${r.code}):\n${r.stderr}`);
  return { lockPath: `${out}.lock.json`, stderr: r.stderr };
}

/** The lock's conflicts and the warnings a CLI pull printed, as one text. */
export function reportedByCli(lockPath: string, stderr: string): string {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { apt?: { conflicts?: string[] }[] };
  return [...(lock.apt ?? []).flatMap((e) => e.conflicts ?? []), stderr].join('\n');
}

/** Real apt with ONLY the repository staged in `staged` (trusted=yes) simulates installing the packages. */
async function askStaged(
  staged: string,
  packages: string[],
  opts: { status: string; recommends: boolean },
): Promise<AptAnswer & { updateOut: string }> {
  const node = aptNode(`deb [trusted=yes] file:${join(staged, 'apt')} ferry main\n`);
  const updateOut = await node.update();
  const answer = await node.simulate(packages, opts);
  rmSync(node.state, { recursive: true, force: true });
  return { ...answer, updateOut };
}

/**
 * `ferry bundle stage --dir` (the built CLI; `--no-verify`: the verification chain has tests of its own, and here
 * it would double the time the stage takes on a bundle of a few hundred debs), then real apt with ONLY the staged
 * repository (trusted=yes) and the given status simulates installing the requested packages. Staged files are removed.
 */
export async function cliStagedAnswer(
  bundle: string,
  packages: string[],
  opts: { status: string; recommends: boolean },
): Promise<AptAnswer & { updateOut: string }> {
  const staged = scratch('ferry-apt-staged-');
  try {
    const r = await run(['--no-progress', 'bundle', 'stage', bundle, '--dir', staged, '--no-verify']);
    if (r.code !== 0) throw new Error(`ferry bundle stage failed (exit ${r.code}):\n${r.stderr}`);
    return await askStaged(staged, packages, opts);
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}

/**
 * Stages the bundle (unsigned: the node's line says trusted=yes) and has real apt, with ONLY the staged repository
 * as its source and the same status, simulate installing the requested packages. The staged directory is removed.
 */
export async function stagedAnswer(
  bundle: string,
  packages: string[],
  opts: { status: string; recommends: boolean },
): Promise<AptAnswer & { updateOut: string }> {
  const staged = scratch('ferry-apt-staged-');
  try {
    await stageBundle({ bundlePath: bundle, dir: staged });
    return await askStaged(staged, packages, opts);
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}

/** Serves a fixture repository's files from a loopback file host under `prefix`. */
export function serveRepo(host: FileHost, root: string, prefix: string): void {
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    const p = join(root, name);
    if (statSync(p).isFile()) host.files.set(`${prefix}/${relative(root, p)}`, readFileSync(p));
  }
}

/** Runs at most `n` of the functions given to it at once (concurrent tests that each pull a whole archive). */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

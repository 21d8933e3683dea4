/**
 * How the bench measures (docs/performance.md): wall time and peak RSS of one whole process (GNU time), the median
 * of BENCH_RUNS runs, and the table the results are printed in.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const MiB = 1 << 20;
export const GB = 1e9;
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export interface Timed {
  seconds: number;
  maxRssMb: number;
}
export type Measured = Timed & { runs: number[] };
export interface RunOpts {
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}
export type TimedRun = (cmd: string, args: string[], opts?: RunOpts) => Promise<Timed>;
export type Median = (reset: () => Promise<void>, run: () => Promise<Timed>) => Promise<Measured>;

/** Wall time and peak RSS of a command, via GNU time. */
export async function timed(cmd: string, args: string[], opts: RunOpts = {}): Promise<Timed> {
  const t0 = process.hrtime.bigint();
  const child = execFile('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    maxBuffer: 256 * MiB,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  else child.stdin?.end();
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const code: number = await new Promise((r) => child.on('close', (c) => r(c ?? 1)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  const rssKb = Number(stderr.trim().split('\n').pop());
  return { seconds, maxRssMb: rssKb / 1024 };
}

/**
 * Runs a measurement RUNS times (after `reset`) and keeps the median wall time, because this machine's disk is
 * noisy; the peak RSS is the highest of the runs.
 */
export async function median(reset: () => Promise<void>, run: () => Promise<Timed>): Promise<Measured> {
  const all: Timed[] = [];
  for (let i = 0; i < RUNS; i++) {
    await reset();
    all.push(await run());
  }
  const sorted = [...all].sort((a, b) => a.seconds - b.seconds);
  const mid = sorted[Math.floor(sorted.length / 2)] as Timed;
  return { ...mid, maxRssMb: Math.max(...all.map((t) => t.maxRssMb)), runs: all.map((t) => +t.seconds.toFixed(3)) };
}

export const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export function duBytes(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, name) => n + duBytes(join(path, name)), 0);
}

export const fmt = (n: number, d = 2): string => n.toFixed(d);
export const noop = async (): Promise<void> => {};

/** One row of the printed table: the measure, ferry's figure, the reference's, their ratio, and the target. */
export const row = (name: string, f: number | string, s: number | string, ratio: string, target: string): void =>
  console.log(`${name.padEnd(40)} ${String(f).padStart(10)} ${String(s).padStart(10)} ${ratio.padStart(7)}   ${target}`);
export const header = (title: string, reference = 'skopeo'): void =>
  console.log(`\n${title.padEnd(40)} ${'ferry'.padStart(10)} ${reference.padStart(10)} ${'ratio'.padStart(7)}   target / notes`);

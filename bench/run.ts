/**
 * ferry against skopeo (or `sha256sum -c`, or curl) on the same workloads, in one run, on this machine
 * (docs/performance.md). Not a test: it prints measurements and ratios, and writes them to bench/out/results.json.
 *
 * Workloads, each part selectable with BENCH_ONLY (a comma list of images, link, rke2, apt; default all):
 * - images: the image set at each scale of BENCH_SCALES (image counts, default "20,100": the 0.44 GB and the 2.1 GB sets; "20" for a quick run),
 *   each image a shared BENCH_BASE_MIB base layer + two BENCH_OWN_MIB layers of its own (bench/image-set.ts); the
 *   first scale also measures serve and delta (bench/serve-delta.ts);
 * - link: the first scale's push over a throttled loopback link (bench/throttled.ts; BENCH_LINK=0 leaves it out);
 * - rke2: an RKE2-shaped release with a ~1 GB .tar.zst image tarball (bench/rke2.ts);
 * - apt: bench/apt.ts (BENCH_APT=0 leaves it out).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AptResults, benchApt } from './apt.js';
import { type ScaleResults, benchScale, buildImageSet } from './image-set.js';
import { MiB, RUNS, median, timed } from './measure.js';
import { printApt, printGrowth, printLink, printRke2, printScale, printServeDelta } from './report.js';
import { type Rke2Results, benchRke2 } from './rke2.js';
import { type DeltaResults, type ServeResults, benchDelta, benchServe } from './serve-delta.js';
import { type LinkResults, benchLink } from './throttled.js';

const BASE = Number(process.env.BENCH_BASE_MIB ?? 20) * MiB;
const OWN = Number(process.env.BENCH_OWN_MIB ?? 10) * MiB;
const SCALES = (process.env.BENCH_SCALES ?? process.env.BENCH_IMAGES ?? '20,100').split(',').map(Number);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'images,link,rke2,apt').split(','));
if (process.env.BENCH_APT === '0') ONLY.delete('apt');
if (process.env.BENCH_LINK === '0') ONLY.delete('link');
const out = resolve(process.argv[2] ?? 'bench/out');
const ferry = resolve('bin/ferry');
/** The single executable scripts/bench.sh builds (scripts/release.mjs), if there. */
const executable = readdirSafe(resolve('release')).find((n) => /^ferry-.*-linux-[a-z0-9]+$/.test(n));

interface Results {
  workload: { scales: number[]; baseMiB: number; ownMiB: number; runs: number };
  scales: ScaleResults[];
  growth?: ReturnType<typeof printGrowth>;
  serve?: ServeResults;
  delta?: DeltaResults;
  link?: LinkResults;
  rke2?: Rke2Results;
  apt?: AptResults;
  peakRssMb: { max: number; target: string };
  /** Wall time of each part of this bench run, in seconds. */
  partSeconds: Record<string, number>;
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const results: Results = {
    workload: { scales: SCALES, baseMiB: BASE / MiB, ownMiB: OWN / MiB, runs: RUNS },
    scales: [],
    peakRssMb: { max: 0, target: '< 200' },
    partSeconds: {},
  };
  const part = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    console.log(`[${new Date().toISOString().slice(11, 19)}] ${name} ...`);
    try {
      return await f();
    } finally {
      results.partSeconds[name] = (Date.now() - t0) / 1000;
    }
  };
  console.log(`runs per measurement: ${RUNS} (median reported); parts: ${[...ONLY].join(', ')}`);
  if (ONLY.has('images') || ONLY.has('link')) {
    for (const [k, count] of SCALES.entries()) {
      const dir = join(out, `images-${count}`);
      const set = await buildImageSet(count, BASE, OWN);
      try {
        const scale = await part(`images-${count}`, () =>
          benchScale(dir, ferry, set, executable ? resolve('release', executable) : undefined),
        );
        results.scales.push(scale);
        printScale(scale);
        if (k === 0 && ONLY.has('images')) {
          const bundle = join(dir, 'bundle.tar');
          results.serve = await part('serve', () => benchServe(dir, ferry, set, bundle));
          results.delta = await part('delta', () => benchDelta(dir, ferry, set, bundle));
          printServeDelta(results.serve, results.delta);
        }
        if (k === 0 && ONLY.has('link')) {
          results.link = await part('link', () => benchLink(ferry, join(dir, 'bundle.tar'), join(dir, 'skopeo-dir'), set.uniqueBytes));
          printLink(results.link);
        }
      } finally {
        await set.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (results.scales.length > 1) results.growth = printGrowth(results.scales);
  }
  if (ONLY.has('rke2')) {
    const dir = join(out, 'rke2');
    results.rke2 = await part('rke2', () => benchRke2(dir, ferry));
    rmSync(dir, { recursive: true, force: true });
    printRke2(results.rke2);
  }
  if (ONLY.has('apt')) {
    results.apt = await part('apt', () => benchApt(out, ferry, timed, median));
    printApt(results.apt);
  }
  const rss = [
    ...results.scales.flatMap((r) => [r.pull.ferry, r.push.ferry, r.pushNoVerify.ferry, r.repush.ferry, r.repush.noVerify, r.verify.ferry]),
    ...(results.link ? [results.link.ferry] : []),
    ...(results.rke2 ? [results.rke2.pull.ferry, results.rke2.push.ferry, results.rke2.pushNoVerify.ferry, results.rke2.repush.ferry] : []),
  ].map((m) => m.maxRssMb);
  results.peakRssMb.max = Math.max(0, ...rss);
  results.partSeconds.total = (Date.now() - started) / 1000;
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\npeak RSS of any ferry command above (not apt): ${results.peakRssMb.max.toFixed(0)} MB (target < 200)`);
  const parts = Object.entries(results.partSeconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`);
  console.log(`bench took ${parts.join(', ')}`);
  console.log(`results written to ${join(out, 'results.json')}`);
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * ferry vs skopeo on one workload, in one run, on this machine (docs/performance.md). Not a test: it prints
 * measurements and ratios, and writes them to bench/out/results.json.
 *
 * Workload: 20 images in a local registry, each = one shared base layer + two layers of its own; then apt
 * (bench/apt.ts): a synthetic 200 000-stanza archive, and the real Debian archive when it answers. BENCH_APT=0
 * leaves apt out, BENCH_ONLY=apt measures apt alone.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type AptResults, benchApt } from './apt.js';
import { type Image, makeImage, makeLayer, seed } from '../test/helpers/images.js';
import { freePort, startRegistry } from '../test/helpers/registry.js';

const exec = promisify(execFile);
const MiB = 1 << 20;
const COUNT = Number(process.env.BENCH_IMAGES ?? 20);
const BASE = Number(process.env.BENCH_BASE_MIB ?? 20) * MiB;
const OWN = Number(process.env.BENCH_OWN_MIB ?? 10) * MiB;
const out = resolve(process.argv[2] ?? 'bench/out');
const ferry = resolve('bin/ferry');

interface Timed {
  seconds: number;
  maxRssMb: number;
}

/** Wall time and peak RSS of a command, via GNU time. */
async function timed(cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}): Promise<Timed> {
  const t0 = process.hrtime.bigint();
  const child = execFile('/usr/bin/time', ['-f', '%M', cmd, ...args], { maxBuffer: 256 * MiB, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
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

function duBytes(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, name) => n + duBytes(join(path, name)), 0);
}

const fmt = (n: number, d = 2) => n.toFixed(d);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Runs a measurement RUNS times (after `reset`) and keeps the median wall time: this machine's disk is noisy. */
async function median(reset: () => Promise<void>, run: () => Promise<Timed>): Promise<Timed & { runs: number[] }> {
  const all: Timed[] = [];
  for (let i = 0; i < RUNS; i++) {
    await reset();
    all.push(await run());
  }
  const sorted = [...all].sort((a, b) => a.seconds - b.seconds);
  const mid = sorted[Math.floor(sorted.length / 2)] as Timed;
  return { ...mid, maxRssMb: Math.max(...all.map((t) => t.maxRssMb)), runs: all.map((t) => +t.seconds.toFixed(3)) };
}

const row = (name: string, f: number, s: number | string, ratio: string, target: string) =>
  console.log(`${name.padEnd(28)} ${String(f).padStart(10)} ${String(s).padStart(10)} ${ratio.padStart(8)}   ${target}`);
const header = () =>
  console.log(`\n${'measure'.padEnd(28)} ${'ferry'.padStart(10)} ${'skopeo'.padStart(10)} ${'ratio'.padStart(8)}   target`);

/** The apt rows: wall time in the ferry column, peak RSS beside its bound (docs/performance.md "apt"). */
function aptRows(apt: AptResults): void {
  const steps = (label: string, r: Omit<AptResults['synthetic'], 'stanzas' | 'packagesBytes' | 'packagesXzBytes'>, pullBound: string) => {
    row(`apt ${label}: pull (s)`, +fmt(r.pull.seconds), '-', '', `peak RSS ${fmt(r.pull.maxRssMb, 0)} MB${pullBound}`);
    row(`apt ${label}: verify (s)`, +fmt(r.verify.seconds), '-', '', `peak RSS ${fmt(r.verify.maxRssMb, 0)} MB (<= 200)`);
    row(`apt ${label}: stage (s)`, +fmt(r.stage.seconds), '-', '', `peak RSS ${fmt(r.stage.maxRssMb, 0)} MB (<= 200; verifies first)`);
  };
  steps(`${apt.synthetic.stanzas / 1000}k stanzas`, apt.synthetic, '');
  if ('skipped' in apt.debian) console.log(`apt debian: ${apt.debian.skipped}`);
  else steps('debian', apt.debian, ' (<= 250)');
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  console.log(`runs per measurement: ${RUNS} (median reported)`);
  if (process.env.BENCH_ONLY === 'apt') {
    const apt = await benchApt(out, ferry, timed, median);
    writeFileSync(join(out, 'results.json'), `${JSON.stringify({ apt }, null, 2)}\n`);
    header();
    aptRows(apt);
    console.log(`\nresults written to ${join(out, 'results.json')}`);
    return;
  }
  console.log(`workload: ${COUNT} images, shared base ${BASE / MiB} MiB + 2 × ${OWN / MiB} MiB own layers each`);
  const src = await startRegistry();
  try {
    const base = await makeLayer({ seed: 'bench-base', size: BASE });
    const images: Image[] = [];
    for (let i = 0; i < COUNT; i++) {
      const img = makeImage({
        layers: [base, await makeLayer({ seed: `bench-${i}-a`, size: OWN }), await makeLayer({ seed: `bench-${i}-b`, size: OWN })],
        label: `bench-${i}`,
      });
      await seed(src, `bench/img-${i}`, 'v1', img);
      images.push(img);
    }
    const unique = new Map<string, number>();
    for (const img of images) for (const b of [img.config, img.manifest, ...img.layers]) unique.set(b.digest, b.size);
    const uniqueBytes = [...unique.values()].reduce((a, b) => a + b, 0);

    // --- pull
    const manifest = join(out, 'bundle.yaml');
    writeFileSync(
      manifest,
      `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: bench\nspec:\n  images:\n${images.map((_, i) => `    - ${src.host}/bench/img-${i}:v1\n`).join('')}`,
    );
    const bundle = join(out, 'bundle.tar');
    const ferryPull = await median(
      async () => rmSync(join(out, 'cache'), { recursive: true, force: true }),
      () => timed(ferry, ['bundle', 'pull', manifest, '-o', bundle, '--plain-http', '--cache', join(out, 'cache'), '--no-progress']),
    );
    const syncYaml = join(out, 'skopeo-sync.yaml');
    writeFileSync(syncYaml, `${src.host}:\n  tls-verify: false\n  images:\n${images.map((_, i) => `    bench/img-${i}: [v1]\n`).join('')}`);
    const skopeoDir = join(out, 'skopeo-dir');
    const skopeoPull = await median(
      async () => (rmSync(skopeoDir, { recursive: true, force: true }), mkdirSync(skopeoDir)),
      () => timed('skopeo', ['sync', '--src', 'yaml', '--dest', 'dir', syncYaml, skopeoDir]),
    );
    const bundleBytes = statSync(bundle).size;
    const skopeoBytes = duBytes(skopeoDir);

    // --- push to empty registries
    // Each run pushes into a freshly started, empty registry (a new port, so no client-side cache can help).
    let target = await startRegistry();
    const fresh = async () => {
      await target.stop();
      target = await startRegistry();
    };
    const ferryPush = await median(fresh, () =>
      timed(ferry, ['bundle', 'push', bundle, '--registry', target.host, '--plain-http', '--no-progress', '--no-verify']),
    );
    const ferryRepush = await median(
      async () => {},
      () => timed(ferry, ['bundle', 'push', bundle, '--registry', target.host, '--plain-http', '--no-progress', '--no-verify']),
    );
    const skopeoPush = await median(fresh, () =>
      timed('skopeo', ['sync', '--src', 'dir', '--dest', 'docker', '--dest-tls-verify=false', skopeoDir, `${target.host}/bench`]),
    );
    await target.stop();

    // --- verify vs sha256sum -c over the same blobs
    const ferryVerify = await median(
      async () => {},
      () => timed(ferry, ['bundle', 'verify', bundle, '--no-progress']),
    );
    const extracted = join(out, 'extracted');
    mkdirSync(extracted);
    await exec('tar', ['-xf', bundle, '-C', extracted]);
    await exec('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: extracted }); // warm the page cache as verify had it
    const shaSum = await median(
      async () => {},
      () => timed('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: extracted }),
    );

    // --- serve: 8 concurrent skopeo pulls from `ferry bundle serve`, and the same from the source registry
    const port = await freePort();
    const server = spawn(ferry, ['bundle', 'serve', bundle, '--listen', `127.0.0.1:${port}`, '--no-verify', '--no-progress'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((ready, fail) => {
      server.stderr?.on('data', (d: Buffer) => d.toString().includes(' at http://') && ready());
      server.on('exit', (c) => fail(new Error(`serve exited ${c}`)));
    });
    const eight = Array.from({ length: Math.min(8, COUNT) }, (_, i) => i);
    const copyAll = async (host: string, tag: string) => {
      const t0 = process.hrtime.bigint();
      await Promise.all(
        eight.map((i) =>
          exec('skopeo', [
            'copy',
            '-q',
            '--src-tls-verify=false',
            `docker://${host}/bench/img-${i}:v1`,
            `dir:${join(out, `copy-${tag}-${i}`)}`,
          ]),
        ),
      );
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    const clearCopies = async () => {
      for (const name of readdirSync(out)) if (name.startsWith('copy-')) rmSync(join(out, name), { recursive: true, force: true });
    };
    const serveTimes: number[] = [];
    const registryTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await clearCopies();
      serveTimes.push(await copyAll(`127.0.0.1:${port}`, 'serve'));
      await clearCopies();
      registryTimes.push(await copyAll(src.host, 'registry'));
    }
    server.kill('SIGINT');
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const pulledBytes = eight.reduce((n, i) => n + (images[i] as Image).layers.reduce((m, l) => m + l.size, 0), 0);
    const serveSeconds = med(serveTimes);
    const registrySeconds = med(registryTimes);

    // --- delta: one image of the set gets a new top layer; the delta against the first lock vs a full bundle
    const changed = makeImage({
      layers: [
        base,
        (images[0] as Image).layers[1] as Parameters<typeof makeImage>[0]['layers'][number],
        await makeLayer({ seed: 'bench-0-b-v2', size: OWN }),
      ],
      label: 'bench-0-v2',
    });
    await seed(src, 'bench/img-0', 'v2', changed);
    const manifest2 = join(out, 'bundle2.yaml');
    writeFileSync(
      manifest2,
      `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: bench\nspec:\n  images:\n${images.map((_, i) => `    - ${src.host}/bench/img-${i}:${i === 0 ? 'v2' : 'v1'}\n`).join('')}`,
    );
    const lock1 = join(out, 'lock1.json');
    writeFileSync(lock1, readFileSync(`${bundle}.lock.json`));
    mkdirSync(join(out, 'full2'));
    mkdirSync(join(out, 'delta2'));
    await timed(ferry, [
      'bundle',
      'pull',
      manifest2,
      '-o',
      join(out, 'full2', 'b.tar'),
      '--plain-http',
      '--cache',
      join(out, 'cache'),
      '--no-progress',
    ]);
    await timed(ferry, [
      'bundle',
      'pull',
      manifest2,
      '-o',
      join(out, 'delta2', 'b.tar'),
      '--plain-http',
      '--cache',
      join(out, 'cache'),
      '--no-progress',
      '--since',
      lock1,
    ]);
    const fullBytes = statSync(join(out, 'full2', 'b.tar')).size;
    const deltaBytes = statSync(join(out, 'delta2', 'b.tar')).size;

    // --- apt: pull, verify, stage of one spec.apt entry (bench/apt.ts)
    const apt = process.env.BENCH_APT === '0' ? undefined : await benchApt(out, ferry, timed, median);

    const results = {
      workload: { images: COUNT, baseMiB: BASE / MiB, ownMiB: OWN / MiB, uniqueBytes },
      pull: { ferry: ferryPull, skopeo: skopeoPull, ratio: ferryPull.seconds / skopeoPull.seconds, target: '<= 0.5' },
      size: {
        bundleBytes,
        skopeoDirBytes: skopeoBytes,
        bundleVsUnique: bundleBytes / uniqueBytes,
        skopeoVsUnique: skopeoBytes / uniqueBytes,
        target: '<= 1.05',
      },
      push: { ferry: ferryPush, skopeo: skopeoPush, ratio: ferryPush.seconds / skopeoPush.seconds, target: '<= 0.7' },
      repush: { ferry: ferryRepush, target: '< 1 s' },
      verify: {
        ferry: ferryVerify,
        sha256sum: shaSum,
        ferryMBps: bundleBytes / MiB / ferryVerify.seconds,
        sha256sumMBps: bundleBytes / MiB / shaSum.seconds,
        throughputRatio: shaSum.seconds / ferryVerify.seconds,
        target: '>= 3',
      },
      serve: {
        concurrentPulls: eight.length,
        bytes: pulledBytes,
        ferrySeconds: serveSeconds,
        registrySeconds,
        ferryMBps: pulledBytes / MiB / serveSeconds,
        registryMBps: pulledBytes / MiB / registrySeconds,
        ratio: serveSeconds / registrySeconds,
      },
      delta: { fullBytes, deltaBytes, changedLayerBytes: OWN, deltaVsFull: deltaBytes / fullBytes, deltaVsChangedLayer: deltaBytes / OWN },
      peakRssMb: { max: Math.max(ferryPull.maxRssMb, ferryPush.maxRssMb, ferryRepush.maxRssMb, ferryVerify.maxRssMb), target: '< 200' },
      ...(apt ? { apt } : {}),
    };
    writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    header();
    row('pull wall time (s)', +fmt(ferryPull.seconds), fmt(skopeoPull.seconds), fmt(results.pull.ratio), '<= 0.5x');
    row('output size / unique bytes', +fmt(results.size.bundleVsUnique, 3), fmt(results.size.skopeoVsUnique, 3), '', '<= 1.05 (ferry)');
    row('push to empty registry (s)', +fmt(ferryPush.seconds), fmt(skopeoPush.seconds), fmt(results.push.ratio), '<= 0.7x');
    row('repeat push (s)', +fmt(ferryRepush.seconds), '-', '', '< 1 s');
    row(
      'verify (MiB/s vs sha256sum)',
      +fmt(results.verify.ferryMBps, 0),
      fmt(results.verify.sha256sumMBps, 0),
      fmt(results.verify.throughputRatio),
      '>= 3x',
    );
    row(
      'serve, 8 concurrent pulls (MiB/s)',
      +fmt(results.serve.ferryMBps, 0),
      `${fmt(results.serve.registryMBps, 0)}*`,
      fmt(results.serve.ratio),
      '* docker-registry, same pulls',
    );
    row(
      'delta / full bundle size',
      +fmt(results.delta.deltaVsFull, 3),
      '-',
      '',
      `delta ${fmt(deltaBytes / MiB, 1)} MiB for a ${fmt(OWN / MiB, 0)} MiB changed layer`,
    );
    row('peak RSS of ferry (MB)', +fmt(results.peakRssMb.max, 0), '-', '', '< 200');
    if (apt) aptRows(apt);
    console.log(`\nresults written to ${join(out, 'results.json')}`);
  } finally {
    await src.stop();
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

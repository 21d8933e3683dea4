/**
 * Two rows of the first image set (docs/performance.md "Serve and delta"): 8 concurrent `skopeo copy` from
 * `ferry bundle serve` against the same from the source registry, and the size of a delta bundle when one image
 * changes its top layer.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Image, makeImage, makeLayer, seed } from '../test/helpers/images.js';
import { freePort } from '../test/helpers/registry.js';
import { type ImageSet, bundleYaml } from './image-set.js';
import { MiB, RUNS, med, timed } from './measure.js';

const exec = promisify(execFile);

export interface ServeResults {
  concurrentPulls: number;
  bytes: number;
  ferrySeconds: number;
  registrySeconds: number;
  ferryMBps: number;
  registryMBps: number;
  ratio: number;
}

export async function benchServe(dir: string, ferry: string, set: ImageSet, bundle: string): Promise<ServeResults> {
  const port = await freePort();
  const server = spawn(ferry, ['bundle', 'serve', bundle, '--listen', `127.0.0.1:${port}`, '--no-verify', '--no-progress'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((ready, fail) => {
    server.stderr?.on('data', (d: Buffer) => d.toString().includes(' at http://') && ready());
    server.on('exit', (c) => fail(new Error(`serve exited ${c}`)));
  });
  const eight = Array.from({ length: Math.min(8, set.count) }, (_, i) => i);
  const copyAll = async (host: string, tag: string) => {
    const t0 = process.hrtime.bigint();
    await Promise.all(
      eight.map((i) =>
        exec('skopeo', [
          'copy',
          '-q',
          '--src-tls-verify=false',
          `docker://${host}/bench/img-${i}:v1`,
          `dir:${join(dir, `copy-${tag}-${i}`)}`,
        ]),
      ),
    );
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const clearCopies = async () => {
    for (const name of readdirSync(dir)) if (name.startsWith('copy-')) rmSync(join(dir, name), { recursive: true, force: true });
  };
  const serveTimes: number[] = [];
  const registryTimes: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      await clearCopies();
      serveTimes.push(await copyAll(`127.0.0.1:${port}`, 'serve'));
      await clearCopies();
      registryTimes.push(await copyAll(set.src.host, 'registry'));
    }
  } finally {
    server.kill('SIGINT');
    await clearCopies();
  }
  const bytes = eight.reduce((n, i) => n + (set.images[i] as Image).layers.reduce((m, l) => m + l.size, 0), 0);
  const ferrySeconds = med(serveTimes);
  const registrySeconds = med(registryTimes);
  return {
    concurrentPulls: eight.length,
    bytes,
    ferrySeconds,
    registrySeconds,
    ferryMBps: bytes / MiB / ferrySeconds,
    registryMBps: bytes / MiB / registrySeconds,
    ratio: ferrySeconds / registrySeconds,
  };
}

export interface DeltaResults {
  fullBytes: number;
  deltaBytes: number;
  changedLayerBytes: number;
  deltaVsFull: number;
  deltaVsChangedLayer: number;
}

/** One image of the set gets a new top layer; the delta against the first lock vs a full bundle of the new set. */
export async function benchDelta(dir: string, ferry: string, set: ImageSet, bundle: string): Promise<DeltaResults> {
  const first = set.images[0] as Image;
  const changed = makeImage({
    layers: [
      set.base,
      first.layers[1] as Parameters<typeof makeImage>[0]['layers'][number],
      await makeLayer({ seed: 'bench-0-b-v2', size: set.ownBytes }),
    ],
    label: 'bench-0-v2',
  });
  await seed(set.src, 'bench/img-0', 'v2', changed);
  const manifest2 = join(dir, 'bundle2.yaml');
  writeFileSync(
    manifest2,
    bundleYaml(set, (i) => (i === 0 ? 'v2' : 'v1')),
  );
  const lock1 = join(dir, 'lock1.json');
  writeFileSync(lock1, readFileSync(`${bundle}.lock.json`));
  const cache = join(dir, 'delta-cache');
  for (const d of ['full2', 'delta2']) mkdirSync(join(dir, d));
  const pull = (to: string, ...extra: string[]) =>
    timed(ferry, ['bundle', 'pull', manifest2, '-o', to, '--plain-http', '--cache', cache, '--no-progress', ...extra]);
  await pull(join(dir, 'full2', 'b.tar'));
  await pull(join(dir, 'delta2', 'b.tar'), '--since', lock1);
  const fullBytes = statSync(join(dir, 'full2', 'b.tar')).size;
  const deltaBytes = statSync(join(dir, 'delta2', 'b.tar')).size;
  for (const d of ['full2', 'delta2', 'delta-cache']) rmSync(join(dir, d), { recursive: true, force: true });
  return {
    fullBytes,
    deltaBytes,
    changedLayerBytes: set.ownBytes,
    deltaVsFull: deltaBytes / fullBytes,
    deltaVsChangedLayer: deltaBytes / set.ownBytes,
  };
}

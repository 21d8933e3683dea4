/**
 * One scale of the image-set workload (docs/performance.md "Workload"): `count` images in a local registry, each a
 * shared base layer plus two layers of its own, then pull, push (the default, which verifies first, and with
 * --no-verify), repeated push and verify by ferry, each beside skopeo (or `sha256sum -c`) on the same blobs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type Image, makeImage, makeLayer, seed } from '../test/helpers/images.js';
import { type TestRegistry, startRegistry } from '../test/helpers/registry.js';
import { GB, type Measured, MiB, duBytes, median, noop, timed } from './measure.js';

const exec = promisify(execFile);

export interface ImageSet {
  count: number;
  baseBytes: number;
  ownBytes: number;
  src: TestRegistry;
  images: Image[];
  base: Awaited<ReturnType<typeof makeLayer>>;
  uniqueBytes: number;
  /** Removes the layers' temp files and stops the source registry. */
  stop(): Promise<void>;
}

export async function buildImageSet(count: number, baseBytes: number, ownBytes: number): Promise<ImageSet> {
  const src = await startRegistry();
  const temp: string[] = [];
  const layer = async (s: string, size: number) => {
    const l = await makeLayer({ seed: s, size });
    if (l.path) temp.push(dirname(l.path));
    return l;
  };
  const base = await layer('bench-base', baseBytes);
  const images: Image[] = [];
  for (let i = 0; i < count; i++) {
    const img = makeImage({
      layers: [base, await layer(`bench-${i}-a`, ownBytes), await layer(`bench-${i}-b`, ownBytes)],
      label: `bench-${i}`,
    });
    await seed(src, `bench/img-${i}`, 'v1', img);
    images.push(img);
    // The registry holds the blobs now; only the base is needed again (delta); drop the rest as we go.
    for (const l of img.layers.slice(1)) if (l.path) rmSync(dirname(l.path), { recursive: true, force: true });
  }
  const unique = new Map<string, number>();
  for (const img of images) for (const b of [img.config, img.manifest, ...img.layers]) unique.set(b.digest, b.size);
  const uniqueBytes = [...unique.values()].reduce((a, b) => a + b, 0);
  return {
    count,
    baseBytes,
    ownBytes,
    src,
    images,
    base,
    uniqueBytes,
    stop: async () => {
      for (const d of temp) rmSync(d, { recursive: true, force: true });
      await src.stop();
    },
  };
}

export function bundleYaml(set: ImageSet, tagOf: (i: number) => string = () => 'v1'): string {
  const refs = set.images.map((_, i) => `    - ${set.src.host}/bench/img-${i}:${tagOf(i)}\n`).join('');
  return `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: bench\nspec:\n  images:\n${refs}`;
}

export interface ScaleResults {
  images: number;
  uniqueBytes: number;
  bundleBytes: number;
  skopeoDirBytes: number;
  pull: { ferry: Measured; skopeo: Measured; ratio: number };
  /** The same pull with --cache-images (each image blob also written to the cache), and the next pull from it. */
  pullCacheImages: { ferry: Measured; ratio: number; warm: Measured };
  push: { ferry: Measured; skopeo: Measured; ratio: number };
  pushNoVerify: { ferry: Measured; ratio: number };
  /** `executable`: the same repeated push by the single executable (release/), when it was built. */
  repush: { ferry: Measured; noVerify: Measured; executable?: Measured };
  verify: { ferry: Measured; sha256sum: Measured; ferryMBps: number; sha256sumMBps: number; throughputRatio: number };
  /** Seconds and peak RSS per GB of unique bytes, for the growth from one scale to the next. */
  perGb: Record<'pull' | 'push' | 'pushNoVerify' | 'verify', { secondsPerGb: number; maxRssMb: number }>;
}

/** Measures one scale in `dir`; leaves the bundle (dir/bundle.tar) and skopeo's dir (dir/skopeo-dir) behind. */
export async function benchScale(dir: string, ferry: string, set: ImageSet, executable?: string): Promise<ScaleResults> {
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, 'bundle.yaml');
  writeFileSync(manifest, bundleYaml(set));
  const bundle = join(dir, 'bundle.tar');
  const cache = join(dir, 'cache');
  // As a user runs it: the default cache location (FERRY_CACHE names it), empty before each run.
  const ferryPull = await median(
    async () => rmSync(cache, { recursive: true, force: true }),
    () => timed(ferry, ['bundle', 'pull', manifest, '-o', bundle, '--plain-http', '--no-progress'], { env: { FERRY_CACHE: cache } }),
  );
  const cacheImages = await median(
    async () => rmSync(cache, { recursive: true, force: true }),
    () =>
      timed(ferry, ['bundle', 'pull', manifest, '-o', bundle, '--plain-http', '--no-progress', '--cache-images'], {
        env: { FERRY_CACHE: cache },
      }),
  );
  const warmPull = await median(noop, () =>
    timed(ferry, ['bundle', 'pull', manifest, '-o', bundle, '--plain-http', '--no-progress'], { env: { FERRY_CACHE: cache } }),
  );
  const syncYaml = join(dir, 'skopeo-sync.yaml');
  const repos = set.images.map((_, i) => `    bench/img-${i}: [v1]\n`).join('');
  writeFileSync(syncYaml, `${set.src.host}:\n  tls-verify: false\n  images:\n${repos}`);
  const skopeoDir = join(dir, 'skopeo-dir');
  const skopeoPull = await median(
    async () => (rmSync(skopeoDir, { recursive: true, force: true }), mkdirSync(skopeoDir)),
    () => timed('skopeo', ['sync', '--src', 'yaml', '--dest', 'dir', syncYaml, skopeoDir]),
  );
  rmSync(cache, { recursive: true, force: true });
  const bundleBytes = statSync(bundle).size;

  // Each push into an empty registry is into a freshly started one (a new port: no client-side cache helps).
  let target = await startRegistry();
  const fresh = async () => {
    await target.stop();
    target = await startRegistry();
  };
  const push =
    (...extra: string[]) =>
    () =>
      timed(ferry, ['bundle', 'push', bundle, '--registry', target.host, '--plain-http', '--no-progress', ...extra]);
  const ferryPush = await median(fresh, push());
  const repush = await median(noop, push());
  const repushNoVerify = await median(noop, push('--no-verify'));
  const repushExe = executable
    ? await median(noop, () => timed(executable, ['bundle', 'push', bundle, '--registry', target.host, '--plain-http', '--no-progress']))
    : undefined;
  const ferryPushNoVerify = await median(fresh, push('--no-verify'));
  const skopeoPush = await median(fresh, () =>
    timed('skopeo', ['sync', '--src', 'dir', '--dest', 'docker', '--dest-tls-verify=false', skopeoDir, `${target.host}/bench`]),
  );
  await target.stop();

  const ferryVerify = await median(noop, () => timed(ferry, ['bundle', 'verify', bundle, '--no-progress']));
  const extracted = join(dir, 'extracted');
  mkdirSync(extracted);
  await exec('tar', ['-xf', bundle, '-C', extracted]);
  await exec('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: extracted }); // warm the page cache as verify had it
  const shaSum = await median(noop, () => timed('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: extracted }));
  rmSync(extracted, { recursive: true, force: true });

  const gb = set.uniqueBytes / GB;
  const per = (m: Measured) => ({ secondsPerGb: m.seconds / gb, maxRssMb: m.maxRssMb });
  return {
    images: set.count,
    uniqueBytes: set.uniqueBytes,
    bundleBytes,
    skopeoDirBytes: duBytes(skopeoDir),
    pull: { ferry: ferryPull, skopeo: skopeoPull, ratio: ferryPull.seconds / skopeoPull.seconds },
    pullCacheImages: { ferry: cacheImages, ratio: cacheImages.seconds / skopeoPull.seconds, warm: warmPull },
    push: { ferry: ferryPush, skopeo: skopeoPush, ratio: ferryPush.seconds / skopeoPush.seconds },
    pushNoVerify: { ferry: ferryPushNoVerify, ratio: ferryPushNoVerify.seconds / skopeoPush.seconds },
    repush: { ferry: repush, noVerify: repushNoVerify, ...(repushExe ? { executable: repushExe } : {}) },
    verify: {
      ferry: ferryVerify,
      sha256sum: shaSum,
      ferryMBps: bundleBytes / MiB / ferryVerify.seconds,
      sha256sumMBps: bundleBytes / MiB / shaSum.seconds,
      throughputRatio: shaSum.seconds / ferryVerify.seconds,
    },
    perGb: { pull: per(ferryPull), push: per(ferryPush), pushNoVerify: per(ferryPushNoVerify), verify: per(ferryVerify) },
  };
}

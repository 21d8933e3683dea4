/** The printed tables of `npm run bench` (docs/performance.md): one per workload, each figure beside its reference. */
import type { AptResults } from './apt.js';
import type { ScaleResults } from './image-set.js';
import { GB, fmt, header, row } from './measure.js';
import type { Rke2Results } from './rke2.js';
import type { DeltaResults, ServeResults } from './serve-delta.js';
import type { LinkResults } from './throttled.js';

const s = (n: number) => fmt(n);
const x = (n: number) => `${fmt(n)}x`;
const rss = (...ms: { maxRssMb: number }[]) => `peak RSS ${ms.map((m) => fmt(m.maxRssMb, 0)).join(' / ')} MB`;

export function printScale(r: ScaleResults): void {
  header(`${r.images} images, ${fmt(r.uniqueBytes / GB)} GB unique (s)`);
  row(
    'pull, fresh cache',
    s(r.pull.ferry.seconds),
    s(r.pull.skopeo.seconds),
    x(r.pull.ratio),
    `<= 0.5x; ${rss(r.pull.ferry, r.pull.skopeo)}`,
  );
  row(
    'pull --cache-images',
    s(r.pullCacheImages.ferry.seconds),
    s(r.pull.skopeo.seconds),
    x(r.pullCacheImages.ratio),
    rss(r.pullCacheImages.ferry),
  );
  row('pull again, from that cache', s(r.pullCacheImages.warm.seconds), '-', '', rss(r.pullCacheImages.warm));
  row('output size / unique bytes', fmt(r.bundleBytes / r.uniqueBytes, 3), fmt(r.skopeoDirBytes / r.uniqueBytes, 3), '', '<= 1.05 (ferry)');
  row(
    'push (default: verifies first)',
    s(r.push.ferry.seconds),
    s(r.push.skopeo.seconds),
    x(r.push.ratio),
    `<= 0.5x; ${rss(r.push.ferry, r.push.skopeo)}`,
  );
  row('push --no-verify', s(r.pushNoVerify.ferry.seconds), s(r.push.skopeo.seconds), x(r.pushNoVerify.ratio), rss(r.pushNoVerify.ferry));
  row('repeated push (default)', s(r.repush.ferry.seconds), '-', '', `< 0.5 s; ${rss(r.repush.ferry)}`);
  row('repeated push --no-verify', s(r.repush.noVerify.seconds), '-', '', rss(r.repush.noVerify));
  if (r.repush.executable)
    row('repeated push, single executable', s(r.repush.executable.seconds), '-', '', `< 0.5 s; ${rss(r.repush.executable)}`);
  row(
    'verify (MiB/s; ref. sha256sum -c)',
    fmt(r.verify.ferryMBps, 0),
    fmt(r.verify.sha256sumMBps, 0),
    x(r.verify.throughputRatio),
    `>= 5x; ${rss(r.verify.ferry, r.verify.sha256sum)}`,
  );
}

/** Seconds and peak RSS per GB of unique bytes at each scale, and how they grow from the smallest to the largest. */
export function printGrowth(scales: ScaleResults[]): Record<string, { timeExponent: number; rssGrowth: number; verdict: string }> {
  const out: Record<string, { timeExponent: number; rssGrowth: number; verdict: string }> = {};
  console.log(`\n${'growth (ferry)'.padEnd(40)} ${scales.map((r) => `${fmt(r.uniqueBytes / GB)} GB`.padStart(22)).join('')}   verdict`);
  const small = scales[0] as ScaleResults;
  const big = scales[scales.length - 1] as ScaleResults;
  for (const k of ['pull', 'push', 'pushNoVerify', 'verify'] as const) {
    const cells = scales.map((r) => `${fmt(r.perGb[k].secondsPerGb)} s/GB ${fmt(r.perGb[k].maxRssMb, 0)} MB`.padStart(22)).join('');
    // time ∝ bytes^e: e = 1 is linear; below 1, a fixed cost (start-up) is spread over more bytes.
    const bytes = big.uniqueBytes / small.uniqueBytes;
    const t = (r: ScaleResults) => r.perGb[k].secondsPerGb * (r.uniqueBytes / GB);
    const e = Math.log(t(big) / t(small)) / Math.log(bytes);
    const g = big.perGb[k].maxRssMb / small.perGb[k].maxRssMb;
    const time = e > 1.15 ? 'time superlinear' : e < 0.85 ? 'time sublinear (fixed costs)' : 'time linear';
    const mem = g < 1.25 ? 'RSS flat' : `RSS x${fmt(g)}`;
    out[k] = { timeExponent: e, rssGrowth: g, verdict: `${time}, ${mem}` };
    console.log(`${k.padEnd(40)} ${cells}   ${time} (exponent ${fmt(e)}), ${mem}`);
  }
  return out;
}

export function printServeDelta(serve: ServeResults, delta: DeltaResults): void {
  row(
    `serve, ${serve.concurrentPulls} concurrent pulls (MiB/s)`,
    fmt(serve.ferryMBps, 0),
    `${fmt(serve.registryMBps, 0)}*`,
    x(serve.ratio),
    '* docker-registry, same pulls (time ratio)',
  );
  row(
    'delta / full bundle size',
    fmt(delta.deltaVsFull, 3),
    '-',
    '',
    `delta ${fmt(delta.deltaBytes / 2 ** 20, 1)} MiB for a ${fmt(delta.changedLayerBytes / 2 ** 20, 0)} MiB changed layer`,
  );
}

export function printLink(r: LinkResults): void {
  header(`push over a ${r.linkMBps} MB/s link (MB/s)`);
  row('achieved rate on the link', fmt(r.ferry.achievedMBps, 1), fmt(r.skopeo.achievedMBps, 1), '', `link ${r.linkMBps} MB/s`);
  row('  share of the link', `${fmt(r.ferry.ofLink * 100, 0)}%`, `${fmt(r.skopeo.ofLink * 100, 0)}%`, '', '');
  row(
    '  bytes carried (MB)',
    fmt(r.ferry.upBytes / 1e6, 0),
    fmt(r.skopeo.upBytes / 1e6, 0),
    '',
    `payload ${fmt(r.payloadBytes / 1e6, 0)} MB`,
  );
  row('  wall time (s)', s(r.ferry.seconds), s(r.skopeo.seconds), x(r.ratio), rss(r.ferry, r.skopeo));
}

export function printRke2(r: Rke2Results): void {
  header(`RKE2 release, ${fmt(r.zstBytes / GB)} GB .tar.zst, ${r.images} images (s)`, 'reference');
  row('pull (ref: curl of the tarball)', s(r.pull.ferry.seconds), s(r.pull.curl.seconds), x(r.pull.ratio), rss(r.pull.ferry));
  row(
    'push (default; ref: skopeo copy)*',
    s(r.push.ferry.seconds),
    s(r.push.skopeo.seconds),
    x(r.push.ratio),
    rss(r.push.ferry, r.push.skopeo),
  );
  row('push --no-verify', s(r.pushNoVerify.ferry.seconds), s(r.push.skopeo.seconds), x(r.pushNoVerify.ratio), rss(r.pushNoVerify.ferry));
  row('repeated push (default)', s(r.repush.ferry.seconds), '-', '', rss(r.repush.ferry));
  console.log(`  * skopeo cannot read .tar.zst: it copies from the uncompressed docker-archive (layers as ${r.push.skopeoLayerMediaType})`);
}

/** The apt rows: wall time in the ferry column, peak RSS beside its bound (docs/performance.md "apt"). */
export function printApt(apt: AptResults): void {
  header('apt (s)', '-');
  const steps = (label: string, r: Omit<AptResults['synthetic'], 'stanzas' | 'packagesBytes' | 'packagesXzBytes'>, pullBound: string) => {
    row(`apt ${label}: pull`, fmt(r.pull.seconds), '-', '', `peak RSS ${fmt(r.pull.maxRssMb, 0)} MB${pullBound}`);
    row(`apt ${label}: verify`, fmt(r.verify.seconds), '-', '', `peak RSS ${fmt(r.verify.maxRssMb, 0)} MB (<= 200)`);
    row(`apt ${label}: stage`, fmt(r.stage.seconds), '-', '', `peak RSS ${fmt(r.stage.maxRssMb, 0)} MB (<= 200; verifies first)`);
  };
  steps(`${apt.synthetic.stanzas / 1000}k stanzas`, apt.synthetic, '');
  if ('skipped' in apt.debian) console.log(`apt debian: ${apt.debian.skipped}`);
  else steps('debian', apt.debian, ' (<= 250)');
}

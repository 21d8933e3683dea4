import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleReader } from '../../src/bundle/reader.js';
import { parseLock } from '../../src/lock/lock-file.js';
import { buildSbom } from '../../src/sbom/build-sbom.js';
import { indexChildren } from '../../src/sbom/referrers.js';
import type { Digest } from '../../src/core/digest.js';
import { type KindFixtures, buildKindFixtures } from '../helpers/kind-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { writeBundleSequential } from '../helpers/sequential-writer.js';
import { type StandardFixtures, buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sha = (path: string) => hex(readFileSync(path));

/**
 * The planned bundle (src/bundle/planned-bundle.ts) against the sequential writer it replaced (kept in
 * test/helpers/sequential-writer.ts): a pull's bundle, its members written again in order by the old writer, must
 * give the same bytes — unsplit, split, signed and as a delta — with members of every kind: images of each media-type
 * family, files, a chart, apt packages from a signed archive, an RKE2 release and ferry's own executable.
 */
/** Writes `bundle`'s members again with the sequential writer to `out`; returns how many blobs it holds. */
async function sequentialCopy(bundle: string, out: string, extra: { splitSize?: number } = {}): Promise<number> {
  const r = await BundleReader.open(bundle);
  try {
    const sums = await r.readSmall('SHA256SUMS');
    const sig = r.entries.some((e) => e.path === 'SHA256SUMS.sig') ? await r.readSmall('SHA256SUMS.sig') : undefined;
    const blobs = r.entries.filter((e) => e.path.startsWith('blobs/sha256/'));
    const desc = (digest: string) => ({
      digest: digest as Digest,
      size: blobs.find((b) => b.path.endsWith(digest.slice(7)))?.size ?? -1,
      mediaType: '',
    });
    // The SBOM made again by the same function pull uses, from what the sequential writer hands it.
    const lockBytes = await r.lockBytes();
    const children = await indexChildren(r.index(), async (d) => r.readSmall(`blobs/sha256/${d.slice(7)}`));
    const hasSbom = r.entries.some((e) => e.path === 'sbom.cdx.json');
    await writeBundleSequential({
      outPath: out,
      name: r.meta.name,
      toolVersion: r.meta.tool.replace(/^ferry /, ''),
      lock: await r.lockBytes(),
      index: await r.readSmall('index.json'),
      blobs: { list: blobs.map((b) => ({ digest: `sha256:${b.path.slice(13)}`, size: b.size })), open: (d) => r.fetch(desc(d)) },
      ...(r.meta.delta ? { delta: r.meta.delta } : {}),
      ...(hasSbom
        ? {
            sbom: (s: Buffer) =>
              buildSbom({
                name: r.meta.name,
                tool: r.meta.tool,
                sums: s,
                index: r.index(),
                lock: parseLock(lockBytes.toString('utf8'), 'lock'),
                children,
              }),
          }
        : {}),
      ...(sig ? { signSums: (s: Buffer) => (s.equals(sums) ? sig : Buffer.alloc(0)) } : {}),
      ...extra,
    });
    return blobs.length;
  } finally {
    await r.close();
  }
}

describe.runIf(requireTools('docker-registry', 'dpkg-deb', 'apt-ftparchive', 'gpg', 'gzip', 'zstd'))(
  'the planned bundle is byte-identical to the sequential writer',
  () => {
    let up: TestRegistry;
    let f: StandardFixtures;
    let kinds: KindFixtures;
    const dir = scratch();
    let manifest: string;

    beforeAll(async () => {
      up = await startRegistry();
      f = await buildStandardFixtures();
      await seedStandardFixtures(up, f);
      kinds = await buildKindFixtures(dir);
      manifest = writeManifest(
        dir,
        `  images:\n    - alpine:3.19\n    - velero/velero:v1.9.1\n    - busybox:1.36\n    - team/app-a:1\n    - prometheus/prometheus:v2.53.0\n` +
          kinds.spec,
      );
    }, 120_000);
    afterAll(async () => {
      await kinds?.stop();
      await up?.stop();
    });
    const mirror = (): [string, string][] => [['docker.io', up.url], ...kinds.mirrors];

    it('unsplit, split (parts at any offset), signed, and a delta', async () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      const whole = (await pull(manifest, join(dir, 'whole', 'b.tar'), mirror())).result;
      const lockPath = whole.lockPath;
      const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
      // Every kind made it into the bundle (a kind left out would compare equal without being tested).
      expect([lock.images.length, lock.files.length, lock.charts.length, lock.apt[0].debs.length, lock.rke2.files.length]).toEqual([
        5, 3, 1, 4, 7,
      ]);
      expect(lock.ferry.vouchedBy.kind).toBe('sha256sums');
      const variants = [
        { name: 'split', opts: { splitSize: 1 << 20 } },
        { name: 'signed', opts: { signKey: privateKey } },
        { name: 'delta', opts: { sincePath: join(dir, 'old.lock.json') } },
      ];
      mkdirSync(join(dir, 'seq'), { recursive: true });
      const blobCount = await sequentialCopy(whole.bundle, join(dir, 'seq', 'b.tar'));
      // The bundle carries its SBOM, so the comparison covers it too.
      expect(execFileSync('tar', ['-tf', whole.bundle], { encoding: 'utf8' }).split('\n')).toContain('sbom.cdx.json');
      expect(sha(whole.bundle)).toBe(sha(join(dir, 'seq', 'b.tar')));
      // The old lock for the delta: part of every kind (not ferry), so the delta carries some of each and leaves out the rest.
      const { ferry: _, ...older } = lock;
      const half = <T>(xs: T[]) => xs.slice(0, Math.ceil(xs.length / 2));
      const apt = [{ ...lock.apt[0], debs: half(lock.apt[0].debs) }];
      const old = {
        ...older,
        images: lock.images.slice(0, 2),
        files: half(lock.files),
        charts: [],
        apt,
        rke2: { ...lock.rke2, files: half(lock.rke2.files) },
      };
      writeFileSync(join(dir, 'old.lock.json'), JSON.stringify(old));
      for (const v of variants) {
        const out = join(dir, v.name, 'b.tar');
        const { result } = await pull(manifest, out, mirror(), { lockPath, ...v.opts });
        const seq = join(dir, `${v.name}-seq`, 'b.tar');
        mkdirSync(join(dir, `${v.name}-seq`), { recursive: true });
        if (v.name === 'split') {
          await sequentialCopy(whole.bundle, seq, { splitSize: 1 << 20 });
          const names = readdirSync(join(dir, 'split')).filter((n) => /\.\d{3}$|parts\.json$/.test(n));
          expect(names.length).toBeGreaterThan(2);
          for (const n of names) expect([n, sha(join(dir, 'split', n))]).toEqual([n, sha(join(dir, 'split-seq', n))]);
        } else {
          const n = await sequentialCopy(result.bundle, seq);
          expect([v.name, sha(result.bundle)]).toEqual([v.name, sha(seq)]);
          // The delta leaves blobs out, so its blobs sit at other offsets than the whole bundle's.
          if (v.name === 'delta') expect(n).toBeLessThan(blobCount);
        }
      }
    }, 180_000);
  },
);

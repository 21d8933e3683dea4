import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleReader } from '../../src/bundle/reader.js';
import type { Digest } from '../../src/core/digest.js';
import { chartTgz } from '../helpers/charts.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { seededBytes } from '../helpers/images.js';
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
 * give the same bytes — unsplit, split, signed and as a delta.
 */
async function sequentialCopy(bundle: string, out: string, extra: { splitSize?: number } = {}) {
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
    await writeBundleSequential({
      outPath: out,
      name: r.meta.name,
      toolVersion: r.meta.tool.replace(/^ferry /, ''),
      lock: await r.lockBytes(),
      index: await r.readSmall('index.json'),
      blobs: { list: blobs.map((b) => ({ digest: `sha256:${b.path.slice(13)}`, size: b.size })), open: (d) => r.fetch(desc(d)) },
      ...(r.meta.delta ? { delta: r.meta.delta } : {}),
      ...(sig ? { signSums: (s: Buffer) => (s.equals(sums) ? sig : Buffer.alloc(0)) } : {}),
      ...extra,
    });
  } finally {
    await r.close();
  }
}

describe.runIf(requireTools('docker-registry'))('the planned bundle is byte-identical to the sequential writer', () => {
  let up: TestRegistry;
  let f: StandardFixtures;
  let host: FileHost;
  const dir = scratch();
  const big = seededBytes('planned-big', 1_300_000);
  const odd = seededBytes('planned-odd', 513);
  const chart = chartTgz('tiny', { 'Chart.yaml': { apiVersion: 'v2', name: 'tiny', version: '1.0.0' }, 'values.yaml': 'a: 1\n' });
  let manifest: string;

  beforeAll(async () => {
    up = await startRegistry();
    f = await buildStandardFixtures();
    await seedStandardFixtures(up, f);
    host = await startFileHost({ '/big.bin': big, '/odd.bin': odd, '/empty.bin': Buffer.alloc(0), '/charts/tiny-1.0.0.tgz': chart });
    const index = `apiVersion: v1\nentries:\n  tiny:\n    - apiVersion: v2\n      name: tiny\n      version: 1.0.0\n      digest: ${hex(chart)}\n      urls: [tiny-1.0.0.tgz]\n`;
    host.files.set('/charts/index.yaml', Buffer.from(index));
    const files = ['big', 'odd', 'empty']
      .map((n) => `    - url: ${host.url}/${n}.bin\n      sha256: ${hex(host.files.get(`/${n}.bin`) as Buffer)}\n`)
      .join('');
    manifest = writeManifest(
      dir,
      `  images:\n    - alpine:3.19\n    - velero/velero:v1.9.1\n    - busybox:1.36\n    - team/app-a:1\n    - prometheus/prometheus:v2.53.0\n` +
        `  files:\n${files}  charts:\n    - repo: ${host.url}/charts\n      name: tiny\n      version: "1.0.0"\n`,
    );
  }, 60_000);
  afterAll(async () => {
    await host?.stop();
    await up?.stop();
  });
  const mirror = (): [string, string][] => [['docker.io', up.url]];

  it('unsplit, split (parts at any offset), signed, and a delta', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const whole = (await pull(manifest, join(dir, 'whole', 'b.tar'), mirror())).result;
    const lockPath = whole.lockPath;
    const variants = [
      { name: 'split', opts: { splitSize: 1 << 20 } },
      { name: 'signed', opts: { signKey: privateKey } },
      { name: 'delta', opts: { sincePath: join(dir, 'old.lock.json') } },
    ];
    mkdirSync(join(dir, 'seq'), { recursive: true });
    await sequentialCopy(whole.bundle, join(dir, 'seq', 'b.tar'));
    expect(sha(whole.bundle)).toBe(sha(join(dir, 'seq', 'b.tar')));
    // The old lock for the delta: the same bundle without team/app-a's and alpine's blobs.
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
    writeFileSync(join(dir, 'old.lock.json'), JSON.stringify({ ...lock, images: lock.images.slice(0, 2) }));
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
        await sequentialCopy(result.bundle, seq);
        expect([v.name, sha(result.bundle)]).toEqual([v.name, sha(seq)]);
      }
    }
  }, 120_000);
});

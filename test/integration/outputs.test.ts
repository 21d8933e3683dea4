import { createHash } from 'node:crypto';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleReader } from '../../src/bundle/reader.js';
import { inspectBundle } from '../../src/inspect/inspect-bundle.js';
import { generateSigningKey } from '../../src/trust/bundle-signature.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { ls, sizeOf, spawnFerry, until } from '../helpers/ferry-child.js';
import { seededBytes } from '../helpers/images.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const names = (dir: string) => ls(dir).filter((n) => n !== 'cache');

describe('outputs that cannot be confused', () => {
  let host: FileHost;
  const one = seededBytes('outputs-one', 2_600_000);
  const two = seededBytes('outputs-two', 1_300_000);
  let dir: string;
  let withOne: string;
  let withTwo: string;

  beforeAll(async () => {
    host = await startFileHost({ '/one.bin': one, '/two.bin': two });
    dir = scratch();
    withOne = writeManifest(scratch(), `  files:\n    - url: ${host.url}/one.bin\n      sha256: ${hex(one)}\n`, 'one');
    withTwo = writeManifest(scratch(), `  files:\n    - url: ${host.url}/two.bin\n      sha256: ${hex(two)}\n`, 'two');
  });
  afterAll(async () => host?.stop());

  const fileNames = async (bundle: string) => (await inspectBundle(bundle)).artifacts.map((a) => a.name);

  it('an unsplit pull over a split one removes the parts list and the parts: verify and inspect read the new bundle', async () => {
    const out = join(dir, 'a', 'b.tar');
    await pull(withOne, out, [], { splitSize: 1 << 20 });
    expect(names(join(dir, 'a'))).toEqual(['b.tar.000', 'b.tar.001', 'b.tar.002', 'b.tar.lock.json', 'b.tar.parts.json']);
    await pull(withTwo, out, []);
    expect(names(join(dir, 'a'))).toEqual(['b.tar', 'b.tar.lock.json']);
    expect(await fileNames(out)).toEqual(['two.bin']);
    const v = await verifyBundle(out);
    expect(v.problems).toEqual([]);
  });

  it('a split pull over an unsplit one removes the single file; a shorter split removes the parts beyond its last', async () => {
    const out = join(dir, 'b', 'b.tar');
    await pull(withTwo, out, []);
    await pull(withOne, out, [], { splitSize: 1 << 20 });
    expect(names(join(dir, 'b'))).toEqual(['b.tar.000', 'b.tar.001', 'b.tar.002', 'b.tar.lock.json', 'b.tar.parts.json']);
    expect(await fileNames(join(dir, 'b', 'b.tar.000'))).toEqual(['one.bin']);
    await pull(withTwo, out, [], { splitSize: 1 << 20 });
    expect(names(join(dir, 'b'))).toEqual(['b.tar.000', 'b.tar.001', 'b.tar.lock.json', 'b.tar.parts.json']);
    expect((await verifyBundle(join(dir, 'b', 'b.tar.parts.json'))).problems).toEqual([]);
    expect(await fileNames(out)).toEqual(['two.bin']);
  });

  it('two bundles in one directory each keep their own lock, named after the bundle and equal to the lock inside it', async () => {
    const d = join(dir, 'shared');
    const a = await pull(withOne, join(d, 'one.tar'), []);
    const b = await pull(withTwo, join(d, 'two.tar'), []);
    expect(names(d)).toEqual(['one.tar', 'one.tar.lock.json', 'two.tar', 'two.tar.lock.json']);
    expect([a.result.lockPath, b.result.lockPath]).toEqual([join(d, 'one.tar.lock.json'), join(d, 'two.tar.lock.json')]);
    for (const [bundle, lock] of [
      [a.result.bundle, a.result.lockPath],
      [b.result.bundle, b.result.lockPath],
    ] as const) {
      const reader = await BundleReader.open(bundle);
      expect(readFileSync(lock).equals(await reader.lockBytes())).toBe(true);
      await reader.close();
    }
    // --lock takes any path as given.
    const again = await pull(withOne, join(d, 'again.tar'), [], { lockPath: a.result.lockPath });
    expect(readFileSync(again.result.lockPath).equals(readFileSync(a.result.lockPath))).toBe(true);
  });

  it('a failed pull leaves the previous bundle and its lock as they were, and no new lock', async () => {
    const d = join(dir, 'failed');
    await pull(withOne, join(d, 'b.tar'), []);
    const before = { bundle: readFileSync(join(d, 'b.tar')), lock: readFileSync(join(d, 'b.tar.lock.json')) };
    const wrong = writeManifest(scratch(), `  files:\n    - url: ${host.url}/two.bin\n      sha256: ${hex(one)}\n`, 'wrong');
    await expect(pull(wrong, join(d, 'b.tar'), [])).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(pull(wrong, join(d, 'fresh.tar'), [])).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(names(d)).toEqual(['b.tar', 'b.tar.lock.json']);
    expect(readFileSync(join(d, 'b.tar')).equals(before.bundle)).toBe(true);
    expect(readFileSync(join(d, 'b.tar.lock.json')).equals(before.lock)).toBe(true);
  });

  it('an unsigned pull over a signed one removes the old <bundle>.sig', async () => {
    const d = join(dir, 'signed');
    const signKey = createPrivateKey(generateSigningKey().privatePem);
    await pull(withOne, join(d, 'b.tar'), [], { signKey });
    expect(names(d)).toEqual(['b.tar', 'b.tar.lock.json', 'b.tar.sig']);
    await pull(withTwo, join(d, 'b.tar'), []);
    expect(names(d)).toEqual(['b.tar', 'b.tar.lock.json']);
  });

  it('the temporary files of a killed pull are resumed into or removed by the next run; those of live processes and other hosts stay', async () => {
    const big = seededBytes('outputs-big', 160 << 20);
    const bigHost = await startFileHost({ '/big.bin': big });
    try {
      const d = scratch();
      const m = writeManifest(d, `  files:\n    - url: ${bigHost.url}/big.bin\n      sha256: ${hex(big)}\n`);
      const first = await pull(m, join(d, 'warm', 'b.tar'), []);
      const out = join(d, 'out');
      const child = spawnFerry([
        'bundle',
        'pull',
        m,
        '--lock',
        first.result.lockPath,
        '-o',
        join(out, 'b.tar'),
        '--cache',
        join(d, 'warm', 'cache'),
        '--no-progress',
      ]);
      await until(() => ls(out).some((n) => n.startsWith('b.tar.partial-') && sizeOf(join(out, n)) > 0), 'the bundle being written', child);
      child.proc.kill('SIGKILL');
      await child.exited;
      // The partial bundle, and its journal when the kill came after the pull had written it (docs/bundle-format.md
      // "Resume"): the next run resumes into a partial it can read, and removes what it cannot.
      const killed = ls(out).filter((n) => n.startsWith('b.tar.partial-'));
      expect(killed).toHaveLength(1);
      expect(ls(out).filter((n) => n.includes('.partial-') && !n.startsWith('b.tar.journal.partial-'))).toEqual(killed);
      // A live process's temporary file (this test's pid) and another host's stay.
      const tag = /\.partial-([0-9a-f]{8})-/.exec(killed[0] as string)?.[1];
      const live = `b.tar.partial-${tag}-${process.pid}-0badcafe`;
      const elsewhere = `b.tar.lock.json.partial-00000000-1-0badcafe`;
      for (const n of [live, elsewhere]) writeFileSync(join(out, n), 'x');
      const next = await pull(m, join(out, 'b.tar'), [], { lockPath: first.result.lockPath, cacheDir: join(d, 'warm', 'cache') });
      const said = (e: (typeof next.events)[number]) =>
        e.type === 'info' && (e.message.includes(killed[0] as string) || e.message.startsWith('resuming the partial bundle'));
      expect(next.events.some(said)).toBe(true);
      expect(names(out)).toEqual(['b.tar', 'b.tar.lock.json', elsewhere, live].sort());
    } finally {
      await bigHost.stop();
    }
  });
});

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectBundle } from '../../src/inspect/inspect-bundle.js';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { seededBytes } from '../helpers/images.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('split bundles', () => {
  let host: FileHost;
  const big = seededBytes('split-big', 2_500_000);
  const small = seededBytes('split-small', 700_000);
  let whole: string;
  let dir: string;

  beforeAll(async () => {
    host = await startFileHost({ '/big.bin': big, '/small.bin': small });
    dir = scratch();
    const m = writeManifest(
      dir,
      `  files:\n    - url: ${host.url}/big.bin\n      sha256: ${hex(big)}\n    - url: ${host.url}/small.bin\n      sha256: ${hex(small)}\n`,
    );
    whole = (await pull(m, join(dir, 'whole', 'b.tar'), [])).result.bundle;
    await pull(m, join(dir, 'split', 'b.tar'), [], { splitSize: 1 << 20, lockPath: join(dir, 'whole', 'b.tar.lock.json') });
  });
  afterAll(async () => host?.stop());

  it('writes parts and a parts list; the parts joined are the unsplit bundle, byte for byte', () => {
    const names = readdirSync(join(dir, 'split'))
      .filter((n) => n.startsWith('b.tar'))
      .sort();
    expect(names).toEqual(['b.tar.000', 'b.tar.001', 'b.tar.002', 'b.tar.003', 'b.tar.lock.json', 'b.tar.parts.json']);
    const list = JSON.parse(readFileSync(join(dir, 'split', 'b.tar.parts.json'), 'utf8'));
    const parts = names.filter((n) => /\.\d{3}$/.test(n)).map((n) => readFileSync(join(dir, 'split', n)));
    expect(parts.slice(0, 3).every((p) => p.length === 1 << 20)).toBe(true);
    expect(list.parts.map((p: { sha256: string }) => p.sha256)).toEqual(parts.map(hex));
    expect(Buffer.concat(parts).equals(readFileSync(whole))).toBe(true);
  });

  it('verify, inspect and stage read across the parts without joining them, given the first part or the list', async () => {
    for (const name of ['b.tar.000', 'b.tar.parts.json', 'b.tar']) {
      expect((await verifyBundle(join(dir, 'split', name))).problems).toEqual([]);
    }
    expect((await inspectBundle(join(dir, 'split', 'b.tar.000'))).artifacts.map((a) => a.name).sort()).toEqual(['big.bin', 'small.bin']);
    const staged = scratch();
    await stageBundle({ bundlePath: join(dir, 'split', 'b.tar.parts.json'), dir: staged });
    expect(readFileSync(join(staged, 'files', 'big.bin')).equals(big)).toBe(true);
  });

  it('ranged reads across part boundaries return the same bytes as the unsplit bundle', async () => {
    const { PartsByteSource } = await import('../../src/bundle/parts.js');
    const { readAll } = await import('../../src/core/streams.js');
    const src = await PartsByteSource.open(join(dir, 'split', 'b.tar.parts.json'));
    try {
      const wholeBytes = readFileSync(whole);
      for (const [start, length] of [
        [(1 << 20) - 100, 300],
        [0, 5],
        [(2 << 20) - 1, (1 << 20) + 2],
        [wholeBytes.length - 10, 10],
      ] as const) {
        expect((await readAll(src.stream(start, length))).equals(wholeBytes.subarray(start, start + length))).toBe(true);
        const buf = Buffer.alloc(length);
        let got = 0;
        while (got < length) got += await src.read(buf, got, length - got, start + got);
        expect(buf.equals(wholeBytes.subarray(start, start + length))).toBe(true);
      }
    } finally {
      await src.close();
    }
  });

  it('a damaged part is named so only it is copied again; a missing part is named too', async () => {
    const copy = scratch();
    for (const n of readdirSync(join(dir, 'split')).filter((f) => f.startsWith('b.tar')))
      writeFileSync(join(copy, n), readFileSync(join(dir, 'split', n)));
    const p2 = readFileSync(join(copy, 'b.tar.002'));
    p2[12345] ^= 0xff;
    writeFileSync(join(copy, 'b.tar.002'), p2);
    const r = await verifyBundle(join(copy, 'b.tar.000'));
    const partProblems = r.problems.filter((p) => p.path.startsWith('b.tar.'));
    expect(partProblems.map((p) => p.path)).toEqual(['b.tar.002']);
    expect(partProblems[0]?.message).toContain('copy this part again');
    rmSync(join(copy, 'b.tar.003'));
    await expect(verifyBundle(join(copy, 'b.tar.000'))).rejects.toThrow('part b.tar.003 of b.tar is missing');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileSource } from '../../../src/bundle/byte-source.js';
import { BundleReader } from '../../../src/bundle/reader.js';
import { scanTarIndex } from '../../../src/bundle/tar-index.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import { rawEntries, rawTar, sampleBundle, tempDir } from './fixtures.js';

async function index(path: string) {
  const src = await openFileSource(path);
  try {
    return await scanTarIndex(src);
  } finally {
    await src.close();
  }
}

describe('scanTarIndex', () => {
  it('lists entries with data offsets and sizes', async () => {
    const dir = tempDir();
    const tar = rawTar([
      ['a', Buffer.from('hello')],
      ['empty', Buffer.alloc(0)],
      ['b', Buffer.alloc(1024, 7)],
    ]);
    writeFileSync(join(dir, 't.tar'), tar);
    const entries = await index(join(dir, 't.tar'));
    expect(entries).toEqual([
      { path: 'a', offset: 512, size: 5, kind: 'file' },
      { path: 'empty', offset: 1536, size: 0, kind: 'file' },
      { path: 'b', offset: 2048, size: 1024, kind: 'file' },
    ]);
    expect(tar.subarray(2048, 2048 + 1024).every((b) => b === 7)).toBe(true);
  });

  it('reads a tar made by GNU tar, with directory entries and the GNU record padding', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'src', 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'src', 'blobs', 'sha256', 'f'), 'x');
    execFileSync('tar', ['-cf', join(dir, 't.tar'), '-C', join(dir, 'src'), 'blobs']);
    expect((await index(join(dir, 't.tar'))).map((e) => [e.path, e.kind])).toEqual([
      ['blobs/', 'directory'],
      ['blobs/sha256/', 'directory'],
      ['blobs/sha256/f', 'file'],
    ]);
  });

  it.each([
    ['cut inside an entry', (t: Buffer) => t.subarray(0, 600), /declares 5 bytes|truncated/],
    ['no end marker', (t: Buffer) => t.subarray(0, 1024), /end-of-archive/],
    ['a lone zero block', (t: Buffer) => t.subarray(0, 1536), /lone zero block/],
  ])('rejects a tar with %s', async (_w, cut, msg) => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.tar'), cut(rawTar([['a', Buffer.from('hello')]])));
    await expect(index(join(dir, 't.tar'))).rejects.toMatchObject({ code: 'BUNDLE_INVALID', message: expect.stringMatching(msg) });
  });

  it('rejects pax headers, duplicates and unsafe paths with a clear message', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'n'.repeat(120)), 'x');
    execFileSync('tar', ['--format=pax', '-cf', join(dir, 'pax.tar'), '-C', join(dir, 'src'), 'n'.repeat(120)]);
    await expect(index(join(dir, 'pax.tar'))).rejects.toMatchObject({ code: 'BUNDLE_INVALID', message: expect.stringMatching(/pax/) });
    writeFileSync(
      join(dir, 'dup.tar'),
      rawTar([
        ['a', Buffer.from('1')],
        ['a', Buffer.from('2')],
      ]),
    );
    await expect(index(join(dir, 'dup.tar'))).rejects.toThrow(/appears twice/);
    writeFileSync(join(dir, 'up.tar'), rawTar([['../a', Buffer.from('1')]]));
    await expect(index(join(dir, 'up.tar'))).rejects.toThrow(/unsafe path/);
  });
});

describe('BundleReader.open', () => {
  it('refuses a file that is not a ferry bundle', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.tar'), rawTar([['index.json', Buffer.from('{}')]]));
    await expect(BundleReader.open(join(dir, 't.tar'))).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      message: expect.stringContaining('not a ferry bundle: no ferry-bundle.json'),
    });
    writeFileSync(join(dir, 'junk'), Buffer.alloc(4096, 1));
    await expect(BundleReader.open(join(dir, 'junk'))).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
    await expect(BundleReader.open(join(dir, 'nope.tar'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a newer format version and a truncated bundle', async () => {
    const dir = tempDir();
    const out = join(dir, 'b.tar');
    await writeBundle(sampleBundle(out).opts);
    const entries = rawEntries(readFileSync(out)).map(([p, b]): [string, Buffer] =>
      p === 'ferry-bundle.json' ? [p, Buffer.from('{"formatVersion":2}')] : [p, b],
    );
    writeFileSync(join(dir, 'v2.tar'), rawTar(entries));
    await expect(BundleReader.open(join(dir, 'v2.tar'))).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    truncateSync(out, 4000);
    await expect(BundleReader.open(out)).rejects.toMatchObject({ code: 'BUNDLE_INVALID', message: expect.stringMatching(/truncated/) });
  });
});

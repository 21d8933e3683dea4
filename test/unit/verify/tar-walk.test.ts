import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileSource } from '../../../src/bundle/byte-source.js';
import { STOP, TarStructureError, walkTar } from '../../../src/bundle/tar-walk.js';
import { rawTar, tempDir } from '../bundle/fixtures.js';

const entries: [string, Buffer][] = [
  ['a', Buffer.from('hello')],
  ['empty', Buffer.alloc(0)],
  ['exact', Buffer.alloc(512, 1)],
  ['big', Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251))],
];

async function walk(tar: Buffer, readSize: number) {
  const path = join(tempDir('ferry-walk-'), 't.tar');
  writeFileSync(path, tar);
  const src = await openFileSource(path);
  const got: { path: string; offset: number; data: Buffer }[] = [];
  let bytes = 0;
  try {
    const res = await walkTar(
      src,
      {
        entry(h, offset) {
          const chunks: Buffer[] = [];
          return {
            data: (c) => chunks.push(Buffer.from(c)),
            end: () => got.push({ path: h.path, offset, data: Buffer.concat(chunks) }),
          };
        },
        bytes: (n) => (bytes += n),
      },
      readSize,
    );
    return { got, bytes, end: res.endOffset };
  } finally {
    await src.close();
  }
}

describe('walkTar', () => {
  // Read sizes that split headers, data and padding across reads in every way.
  it.each([1, 100, 511, 512, 700, 4096, 1 << 20])('delivers every entry intact with %i-byte reads', async (readSize) => {
    const tar = rawTar(entries);
    const { got, bytes, end } = await walk(tar, readSize);
    expect(got.map((g) => [g.path, g.data])).toEqual(entries);
    expect(got.map((g) => g.offset)).toEqual([512, 1536, 2048, 3072]);
    expect(end).toBe(tar.length);
    expect(bytes).toBe(tar.length);
  });

  it('stops at the end marker and ignores trailing record padding', async () => {
    const tar = Buffer.concat([rawTar(entries), Buffer.alloc(8192)]);
    const { end } = await walk(tar, 4096);
    expect(end).toBe(tar.length - 8192);
  });

  it('throws TarStructureError naming the entry cut short', async () => {
    const tar = rawTar(entries).subarray(0, 3072 + 512 + 100);
    await expect(walk(tar, 700)).rejects.toSatisfy((e) => e instanceof TarStructureError && e.entryPath === 'big');
  });

  it.each([700, 4096])('with a trailing visitor, hands over every byte after the end marker (%i-byte reads)', async (readSize) => {
    const tail = Buffer.concat([Buffer.alloc(5000), Buffer.from('junk')]);
    const tar = Buffer.concat([rawTar(entries), tail]);
    const path = join(tempDir('ferry-walk-'), 't.tar');
    writeFileSync(path, tar);
    const src = await openFileSource(path);
    const seen: Buffer[] = [];
    let from = -1;
    let bytes = 0;
    try {
      const res = await walkTar(
        src,
        {
          entry: () => ({ data() {}, end() {} }),
          bytes: (n) => (bytes += n),
          trailing: (c, at) => {
            if (from < 0) from = at;
            seen.push(Buffer.from(c));
          },
        },
        readSize,
      );
      expect(res.endOffset).toBe(tar.length - tail.length);
    } finally {
      await src.close();
    }
    expect(from).toBe(tar.length - tail.length);
    expect(Buffer.concat(seen)).toEqual(tail);
    expect(bytes).toBe(tar.length);
  });

  it('ends the walk at the header whose entry() returns STOP, reading no data of it', async () => {
    const path = join(tempDir('ferry-walk-'), 't.tar');
    writeFileSync(path, rawTar(entries));
    const src = await openFileSource(path);
    const got: string[] = [];
    try {
      const res = await walkTar(
        src,
        {
          entry(h) {
            if (h.path === 'exact') return STOP;
            got.push(h.path);
            return { data() {}, end() {} };
          },
          bytes() {},
        },
        512,
      );
      expect(res).toEqual({ endOffset: 1536, stopped: true }); // the header of 'exact'
    } finally {
      await src.close();
    }
    expect(got).toEqual(['a', 'empty']);
  });
});

import { mkdtempSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { digestHex, sha256 } from '../../../src/core/digest.js';
import { ContentStore } from '../../../src/store/content-store.js';

const data = Buffer.from('0123456789'.repeat(1000));
const desc = { mediaType: 'application/octet-stream', digest: sha256(data), size: data.length };
const newStore = () => new ContentStore(mkdtempSync(join(tmpdir(), 'ferry-store-')));

describe('ContentStore', () => {
  it('stores verified content under its digest', async () => {
    const s = newStore();
    await s.push(desc, Readable.from([data]));
    expect(await s.exists(desc)).toBe(true);
    expect((await s.readBuffer(desc)).equals(data)).toBe(true);
  });

  it('never commits bytes that do not match, and leaves no temp file', async () => {
    const s = newStore();
    await expect(s.push(desc, Readable.from([Buffer.from('x').toString().repeat(10000)]))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await s.exists(desc)).toBe(false);
    expect(readdirSync(join(s.root, 'tmp'))).toEqual([]);
  });

  it('resumes from a kept partial prefix and asks only for the tail', async () => {
    const s = newStore();
    mkdirSync(join(s.root, 'partial'), { recursive: true });
    writeFileSync(join(s.root, 'partial', digestHex(desc.digest)), data.subarray(0, 4000));
    const offsets: number[] = [];
    const r = await s.pushResumable(desc, async (off) => (offsets.push(off), Readable.from([data.subarray(off)])), 'blob');
    expect(r.resumedFrom).toBe(4000);
    expect(offsets).toEqual([4000]);
    expect((await s.readBuffer(desc)).equals(data)).toBe(true);
  });

  it('keeps the partial after a dropped transfer, discards it after a digest mismatch', async () => {
    const s = newStore();
    const partial = join(s.root, 'partial', digestHex(desc.digest));
    const dropping = async () =>
      Readable.from(
        (async function* () {
          yield data.subarray(0, 3000);
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        })(),
      );
    await expect(s.pushResumable(desc, dropping, 'blob')).rejects.toThrow(/socket hang up/);
    expect(existsSync(partial)).toBe(true);
    await expect(s.pushResumable(desc, async () => Readable.from([Buffer.alloc(desc.size - 3000, 0x41)]), 'blob')).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    expect(existsSync(partial)).toBe(false);
    await s.pushResumable(desc, async (off) => Readable.from([data.subarray(off)]), 'blob');
    expect(await s.exists(desc)).toBe(true);
  });
});

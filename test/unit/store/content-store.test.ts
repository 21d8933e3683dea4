import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { digestHex, sha256 } from '../../../src/core/digest.js';
import { FerryError } from '../../../src/core/errors.js';
import { ContentStore } from '../../../src/store/content-store.js';
import { hostTag } from '../../../src/store/writers.js';

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
    await expect(s.push(desc, Readable.from([Buffer.from('x').toString().repeat(10000)]))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
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
    const partials = () => readdirSync(join(s.root, 'partial')).filter((n) => n.startsWith(digestHex(desc.digest)));
    const dropping = async () =>
      Readable.from(
        (async function* () {
          yield data.subarray(0, 3000);
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        })(),
      );
    await expect(s.pushResumable(desc, dropping, 'blob')).rejects.toThrow(/socket hang up/);
    expect(partials()).toHaveLength(1);
    await expect(s.pushResumable(desc, async () => Readable.from([Buffer.alloc(desc.size - 3000, 0x41)]), 'blob')).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    expect(partials()).toEqual([]);
    await s.pushResumable(desc, async (off) => Readable.from([data.subarray(off)]), 'blob');
    expect(await s.exists(desc)).toBe(true);
  });

  const tag = hostTag();
  const deadPid = () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    return Number(child.stdout);
  };

  it("never reads a live writer's partial, and leaves it alone", async () => {
    const s = newStore();
    const dir = join(s.root, 'partial');
    mkdirSync(dir, { recursive: true });
    // The parent of this test process is alive: its partial (garbage here) must not be resumed from.
    const live = join(dir, `${digestHex(desc.digest)}.${tag}.${process.ppid}.abcdef`);
    writeFileSync(live, Buffer.alloc(5000, 0x58));
    const offsets: number[] = [];
    const r = await s.pushResumable(desc, async (off) => (offsets.push(off), Readable.from([data.subarray(off)])), 'blob');
    expect(offsets).toEqual([0]);
    expect(r.resumedFrom).toBe(0);
    expect(readFileSync(live).equals(Buffer.alloc(5000, 0x58))).toBe(true);
    expect((await s.readBuffer(desc)).equals(data)).toBe(true);
  });

  it('claims the largest partial of a dead writer and removes the other dead ones', async () => {
    const s = newStore();
    const dir = join(s.root, 'partial');
    mkdirSync(dir, { recursive: true });
    const hex = digestHex(desc.digest);
    writeFileSync(join(dir, `${hex}.${tag}.${deadPid()}.aaaaaa`), data.subarray(0, 2000));
    writeFileSync(join(dir, `${hex}.${tag}.${deadPid()}.bbbbbb`), data.subarray(0, 6000));
    const offsets: number[] = [];
    const r = await s.pushResumable(desc, async (off) => (offsets.push(off), Readable.from([data.subarray(off)])), 'blob');
    expect(offsets).toEqual([6000]);
    expect(r.resumedFrom).toBe(6000);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('two writers of one blob in one process both succeed and leave one verified blob', async () => {
    const s = newStore();
    const slow = async (off: number) =>
      Readable.from(
        (async function* () {
          for (let i = off; i < data.length; i += 1000) {
            await new Promise((r) => setTimeout(r, 1));
            yield data.subarray(i, i + 1000);
          }
        })(),
      );
    await Promise.all([s.pushResumable(desc, slow, 'a'), s.pushResumable(desc, slow, 'b'), s.push(desc, await slow(0))]);
    expect((await s.readBuffer(desc)).equals(data)).toBe(true);
    expect(readdirSync(join(s.root, 'partial'))).toEqual([]);
    expect(readdirSync(join(s.root, 'tmp'))).toEqual([]);
  });

  it('replaces a wrong blob under a right name (left by an older version) with verified bytes', async () => {
    const s = newStore();
    mkdirSync(join(s.root, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(s.blobPath(desc.digest), Buffer.alloc(10, 1));
    await s.pushResumable({ digest: desc.digest }, async (off) => Readable.from([data.subarray(off)]), 'blob');
    expect(readFileSync(s.blobPath(desc.digest)).equals(data)).toBe(true);
  });

  it('a source that ignores Range: the kept prefix is dropped and the download starts again from byte 0, once', async () => {
    const s = newStore();
    const dir = join(s.root, 'partial');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, digestHex(desc.digest)), data.subarray(0, 4000));
    const refused = () =>
      new FerryError('NETWORK_ERROR', 'http://x/f: cannot resume', { url: 'http://x/f', rangeRefused: true, retriable: true });
    const offsets: number[] = [];
    await s.pushResumable(
      desc,
      async (off) => {
        offsets.push(off);
        if (off > 0) throw refused();
        return Readable.from([data]);
      },
      'blob',
    );
    expect(offsets).toEqual([4000, 0]);
    expect((await s.readBuffer(desc)).equals(data)).toBe(true);

    // Refused again after the fresh start: fail, not retriable, naming the subject, and no partial left to wedge the next run.
    const t = newStore();
    const cutThenRefuse = async (off: number) => {
      if (off > 0) throw refused();
      return Readable.from(
        (async function* () {
          yield data.subarray(0, 3000);
          throw refused();
        })(),
      );
    };
    const err = await t.pushResumable(desc, cutThenRefuse, 'file f (http://x/f)').catch((e) => e);
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', details: { retriable: false, url: 'http://x/f' } });
    expect(err.message).toMatch(/^file f \(http:\/\/x\/f\): .*started again from byte 0 once/);
    expect(readdirSync(join(t.root, 'partial'))).toEqual([]);
  });

  it("removes temp files of dead writers from tmp/, never a live one's", async () => {
    const s = newStore();
    const dir = join(s.root, 'tmp');
    mkdirSync(dir, { recursive: true });
    const hex = digestHex(desc.digest);
    const dead = `${hex}.${tag}.${deadPid()}.aaaaaa`;
    const live = `${hex}.${tag}.${process.ppid}.bbbbbb`;
    for (const n of [dead, live]) writeFileSync(join(dir, n), 'x');
    await s.putBuffer(desc, data);
    expect(readdirSync(dir)).toEqual([live]);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type Digest, digestHex, sha256 } from '../../../src/core/digest.js';
import type { FerryEvent } from '../../../src/core/events.js';
import { BundleReader } from '../../../src/bundle/reader.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import { LOCK, sampleBundle, tempDir } from './fixtures.js';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('writeBundle', () => {
  it('writes SHA256SUMS first, then metadata, then blobs sorted by digest; each blob reads back by random access', async () => {
    const dir = tempDir();
    const out = join(dir, 'b.tar');
    const { store, opts } = sampleBundle(out);
    const events: FerryEvent[] = [];
    const res = await writeBundle({ ...opts, events: (e) => events.push(e) });

    const file = readFileSync(out);
    expect(res.bytes).toBe(file.length);
    expect(res.sha256).toBe(sha256(file));
    expect(events.reduce((n, e) => n + (e.type === 'bytes' ? e.n : 0), 0)).toBe(file.length);
    // The write phase announces the bundle's exact size before its first byte, and its bytes are filed under it.
    expect(events.filter((e) => e.type === 'phase').map((e) => e.type === 'phase' && [e.phase, e.totalBytes])).toEqual([
      ['write', file.length],
    ]);
    expect(events.every((e) => e.type !== 'bytes' || e.phase === 'write')).toBe(true);
    expect(readdirSync(dir)).toEqual(['b.tar']);

    const reader = await BundleReader.open(out);
    try {
      const hexes = [...store.blobs.keys()].map((d) => digestHex(d as Digest)).sort();
      expect(reader.entries.map((e) => e.path)).toEqual([
        'SHA256SUMS',
        'oci-layout',
        'ferry-bundle.json',
        'ferry.lock.json',
        'index.json',
        ...hexes.map((h) => `blobs/sha256/${h}`),
      ]);
      // Read in reverse order to show that access is by offset, not sequential.
      for (const [digest, body] of [...store.blobs].reverse()) {
        const desc = { mediaType: 'x', digest: digest as Digest, size: body.length };
        expect(await reader.exists(desc)).toBe(true);
        expect(reader.hasBlob(desc.digest)).toBe(true);
        expect((await readAll(await reader.fetch(desc))).equals(body)).toBe(true);
        expect((await readAll(await reader.fetchAt(desc, 1))).equals(body.subarray(1))).toBe(true);
      }
      expect((await reader.lockBytes()).equals(LOCK)).toBe(true);
      expect(reader.index()).toEqual(opts.index);
      expect(reader.meta).toEqual({ formatVersion: 1, name: 'sample', tool: 'ferry 0.1.0' });
      expect(JSON.parse((await reader.readSmall('oci-layout')).toString())).toEqual({ imageLayoutVersion: '1.0.0' });
      const sums = await reader.sha256sums();
      expect(sums.size).toBe(4 + store.blobs.size);
      expect(sums.get('index.json')).toBe(digestHex(sha256(await reader.readSmall('index.json'))));
      const absent = { mediaType: 'x', digest: sha256('absent'), size: 6 };
      expect(await reader.exists(absent)).toBe(false);
      await expect(reader.fetch(absent)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const [someDigest, someBody] = [...store.blobs][0] as [string, Buffer];
      await expect(reader.fetch({ mediaType: 'x', digest: someDigest as Digest, size: someBody.length + 1 })).rejects.toMatchObject({
        code: 'SIZE_MISMATCH',
      });
    } finally {
      await reader.close();
    }
  });

  it('is deterministic: the same inputs give byte-identical bundles', async () => {
    const dir = tempDir();
    const a = sampleBundle(join(dir, 'a.tar'));
    const b = sampleBundle(join(dir, 'b.tar'));
    // Same content listed in another order, with a duplicate: still one copy each, same bytes.
    const list = [...b.opts.blobs.list].reverse();
    const ra = await writeBundle(a.opts);
    const rb = await writeBundle({ ...b.opts, blobs: { ...b.opts.blobs, list: [...list, list[0]!] } });
    expect(rb.sha256).toBe(ra.sha256);
    expect(readFileSync(join(dir, 'a.tar')).equals(readFileSync(join(dir, 'b.tar')))).toBe(true);
  });

  it('extracts with GNU tar and passes sha256sum -c SHA256SUMS', async () => {
    const dir = tempDir();
    await writeBundle(sampleBundle(join(dir, 'b.tar')).opts);
    const x = join(dir, 'x');
    execFileSync('mkdir', [x]);
    execFileSync('tar', ['-xf', join(dir, 'b.tar'), '-C', x]);
    const out = execFileSync('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: x, encoding: 'utf8' });
    expect(out.trim().split('\n')).toHaveLength(4 + 6);
    expect(out).not.toMatch(/FAILED/);
  });

  it.each([
    ['fewer', (b: Buffer) => [b.subarray(0, b.length - 1)]],
    ['more', (b: Buffer) => [b, Buffer.from('x')]],
  ])('fails when a blob source yields %s bytes than declared, leaving nothing at outPath', async (_w, chunks) => {
    const dir = tempDir();
    const out = join(dir, 'b.tar');
    const { store, opts } = sampleBundle(out);
    const victim = [...store.blobs.keys()].sort()[2] as Digest;
    const open = async (d: Digest) => Readable.from(d === victim ? chunks(store.blobs.get(d)!) : [store.blobs.get(d)!]);
    await expect(writeBundle({ ...opts, blobs: { ...opts.blobs, open } })).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
      message: expect.stringContaining(victim),
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails on a source error and leaves an existing file at outPath untouched', async () => {
    const dir = tempDir();
    const out = join(dir, 'b.tar');
    writeFileSync(out, 'previous');
    const { opts } = sampleBundle(out);
    const open = async () =>
      new Readable({
        read() {
          this.destroy(new Error('disk on fire'));
        },
      });
    await expect(writeBundle({ ...opts, blobs: { ...opts.blobs, open } })).rejects.toThrow(/disk on fire/);
    expect(readdirSync(dir)).toEqual(['b.tar']);
    expect(readFileSync(out, 'utf8')).toBe('previous');
  });

  it('aborts mid-blob and removes the partial file', async () => {
    const dir = tempDir();
    const out = join(dir, 'b.tar');
    const { opts } = sampleBundle(out);
    const ac = new AbortController();
    // A blob that sends one chunk and then stalls forever: only the abort can end the write.
    let sent = false;
    const open = async () =>
      new Readable({
        read() {
          if (!sent) {
            sent = true;
            this.push(Buffer.alloc(1));
          }
        },
      });
    let sawBytes = false;
    const p = writeBundle({
      ...opts,
      blobs: {
        ...opts.blobs,
        open: async () => {
          setTimeout(() => ac.abort(), 20);
          return open();
        },
      },
      signal: ac.signal,
      events: (e) => {
        if (e.type === 'bytes') sawBytes = true;
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(sawBytes).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to start when already aborted', async () => {
    const dir = tempDir();
    const ac = new AbortController();
    ac.abort();
    await expect(writeBundle({ ...sampleBundle(join(dir, 'b.tar')).opts, signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(readdirSync(dir)).toEqual([]);
  });
});

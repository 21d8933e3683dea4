import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type Digest, sha256 } from '../../../src/core/digest.js';
import type { FerryEvent } from '../../../src/core/events.js';
import { layoutId, layoutText, planLayout } from '../../../src/bundle/layout.js';
import { PlannedBundle } from '../../../src/bundle/planned-bundle.js';
import { type WriteBundleOptions, planBundle, writeBundle } from '../../../src/bundle/writer.js';
import { writeBundleSequential } from '../../helpers/sequential-writer.js';
import { MemoryBlobs, addFile, addImage, indexOf, sampleBundle, tempDir } from './fixtures.js';

/** Blobs of awkward sizes: empty, exactly a block, one over, larger than a part. */
function awkward(out: string): { store: MemoryBlobs; opts: WriteBundleOptions } {
  const { store, opts } = sampleBundle(out);
  const extra = [0, 512, 513, 4096 * 3 + 1, 70_000].map((n, i) => addFile(store, `f${i}`, Buffer.alloc(n, i + 1)));
  const img = addImage(store, 'docker.io/library/other', '2', 'x'.repeat(5000));
  return { store, opts: { ...opts, index: indexOf([img, ...extra]), blobs: store.source() } };
}

const files = (dir: string) => readdirSync(dir).sort();
const read = (dir: string, names: string[]) =>
  names.map((n) => (n.endsWith('.json') ? readFileSync(join(dir, n), 'utf8') : sha256(readFileSync(join(dir, n)))));

describe('the planned bundle', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const variants: [string, Partial<WriteBundleOptions>][] = [
    ['unsplit', {}],
    ['split in parts of 4000 bytes', { splitSize: 4000 }],
    ['split in parts of one block', { splitSize: 512 }],
    ['signed', { signSums: (s: Buffer) => sign(null, s, privateKey) }],
    ['a delta', { delta: { base: { kind: 'lock', file: 'old.lock.json', sha256: '0'.repeat(64) }, omitted: [] } }],
  ];

  it.each(variants)('is byte-identical to the sequential writer: %s', async (_name, extra) => {
    const dir = tempDir();
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    mkdirSync(a);
    mkdirSync(b);
    const beside = (d: string) => ({ beside: { lock: join(d, 'b.tar.lock.json'), signature: join(d, 'b.tar.sig') } });
    const planned = await writeBundle({ ...awkward(join(a, 'b.tar')).opts, ...extra, ...beside(a) });
    const sequential = await writeBundleSequential({ ...awkward(join(b, 'b.tar')).opts, ...extra, ...beside(b) });
    expect(planned).toEqual(sequential);
    expect(files(a)).toEqual(files(b));
    expect(read(a, files(a))).toEqual(read(b, files(b)));
  });

  it('fills blobs in any order and concurrently, to the same bytes; each byte counted once in the write phase', async () => {
    const dir = tempDir();
    const { store, opts } = awkward(join(dir, 'b.tar'));
    const events: FerryEvent[] = [];
    const plan = planBundle(opts);
    const bundle = await PlannedBundle.open(plan, { ...opts, events: (e) => events.push(e) });
    const blobs = [...plan.blobs].reverse();
    // One blob written twice (a re-fetch): still counted once.
    const first = blobs[0] as (typeof blobs)[number];
    await bundle.writeBlob(first.digest, 0, (store.blobs.get(first.digest) as Buffer).subarray(0, 10));
    await Promise.all(blobs.map((b) => bundle.fill(b.digest as Digest, Readable.from([store.blobs.get(b.digest) as Buffer]))));
    const res = await bundle.finish();
    const seq = await writeBundleSequential({ ...awkward(join(dir, 'c.tar')).opts });
    expect(readFileSync(join(dir, 'b.tar')).equals(readFileSync(join(dir, 'c.tar')))).toBe(true);
    expect(res.bytes).toBe(seq.bytes);
    expect(events.reduce((n, e) => n + (e.type === 'bytes' ? e.n : 0), 0)).toBe(seq.bytes);
  });

  it('refuses a write past a blob, leaving its neighbours intact', async () => {
    const dir = tempDir();
    const { store, opts } = sampleBundle(join(dir, 'b.tar'));
    const plan = planBundle(opts);
    const bundle = await PlannedBundle.open(plan, opts);
    const [victim] = plan.blobs;
    const v = victim as (typeof plan.blobs)[number];
    await expect(bundle.writeBlob(v.digest, 0, Buffer.alloc(v.size + 1, 0xff))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(bundle.fill(v.digest, Readable.from([Buffer.alloc(v.size + 1, 0xff)]))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    for (const b of plan.blobs) await bundle.fill(b.digest, Readable.from([store.blobs.get(b.digest) as Buffer]));
    await bundle.finish();
    const seq = await writeBundleSequential(sampleBundle(join(dir, 'c.tar')).opts);
    expect(sha256(readFileSync(join(dir, 'b.tar')))).toBe(seq.sha256);
  });

  it('will not finish with a blob missing, and abort leaves nothing', async () => {
    const dir = tempDir();
    const { opts } = sampleBundle(join(dir, 'b.tar'));
    const bundle = await PlannedBundle.open(planBundle(opts), opts);
    await expect(bundle.finish()).rejects.toMatchObject({ code: 'INTERNAL' });
    await bundle.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('prints its layout, and names it by the sha256 of that text', () => {
    const layout = planLayout([
      { path: 'SHA256SUMS', size: 10 },
      { path: 'blobs/sha256/aa', size: 512 },
    ]);
    expect(layoutText(layout)).toBe('0 10 SHA256SUMS\n1024 512 blobs/sha256/aa\nsize 3072\n');
    expect(layoutId(layout)).toBe(sha256(layoutText(layout)).slice('sha256:'.length));
    expect(layout.members.map((m) => m.offset)).toEqual([512, 1536]);
  });
});

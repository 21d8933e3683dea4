import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeBundle } from '../../../src/bundle/writer.js';
import { type FerryEvent } from '../../../src/core/events.js';
import { type VerifyOptions, verifyBundle } from '../../../src/verify/verify-bundle.js';
import { seededBytes } from '../../helpers/images.js';
import { addFile, addImage, indexOf, rawEntries, sampleBundle, tempDir } from '../bundle/fixtures.js';

const MiB = 1 << 20;

/** A bundle of many members: the sample's image and file, and 24 files of 0.3 to 2.6 MiB (~35 MiB in all). */
async function manyMembers(splitSize?: number): Promise<string> {
  const path = join(tempDir('ferry-parallel-'), 'b.tar');
  const { store, opts } = sampleBundle(path);
  const extra = Array.from({ length: 24 }, (_, i) => addFile(store, `f${i}.bin`, seededBytes(`parallel-${i}`, 300_000 + i * 100_000)));
  await writeBundle({
    ...opts,
    index: indexOf([addImage(store, 'docker.io/library/hello', '1.0'), ...extra]),
    blobs: store.source(),
    ...(splitSize ? { splitSize } : {}),
  });
  return path;
}

/** Where member `name` (or the first member matching it) starts in the file, and its size. */
function memberAt(path: string, match: (name: string, size: number) => boolean): { offset: number; size: number } {
  const tar = readFileSync(path);
  let offset = 0;
  for (const [name, body] of rawEntries(tar)) {
    offset += 512;
    if (match(name, body.length)) return { offset, size: body.length };
    offset += body.length + ((512 - (body.length % 512)) % 512);
  }
  throw new Error('no such member');
}

function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at] = (bytes[at] as number) ^ 0xff;
  writeFileSync(path, bytes);
}

/** verify with `workers` threads: the result, the bytes its progress reported, the threads the hashing ran on. */
async function verifyWith(path: string, workers: number, opts: VerifyOptions = {}) {
  let progress = 0;
  const threads = new Set<number>();
  const result = await verifyBundle(path, {
    ...opts,
    workers,
    events: (e: FerryEvent) => void (e.type === 'bytes' && (progress += e.n)),
    onHashTask: (id) => threads.add(id),
  });
  return { result, progress, threads };
}

/** The same bundle verified on this thread alone and on three workers: one result, progress adding up once. */
async function sameEitherWay(path: string, size: number) {
  const one = await verifyWith(path, 0);
  const many = await verifyWith(path, 3);
  expect(many.result).toEqual(one.result);
  expect(one.progress).toBe(one.result.bytes);
  expect(many.progress).toBe(many.result.bytes);
  expect(many.result.bytes).toBe(size);
  expect([...one.threads]).toEqual([0]);
  return many;
}

describe('verify on worker threads gives the result of a single-threaded pass', () => {
  let good: string;
  let split: string;
  beforeAll(async () => {
    good = await manyMembers();
    split = await manyMembers(4 * MiB);
  });

  it('an intact bundle of many members: OK, hashed on more than one worker', async () => {
    const { result, threads } = await sameEitherWay(good, readFileSync(good).length);
    expect(result).toMatchObject({ ok: true, problems: [] });
    expect(result.contents.size).toBeGreaterThan(50);
    expect(threads.size).toBeGreaterThan(1);
    expect(threads.has(0)).toBe(false);
  });

  it('a flipped byte in a blob hashed by a worker: the same DIGEST_MISMATCH', async () => {
    const copy = `${good}.blob.tar`;
    writeFileSync(copy, readFileSync(good));
    const blob = memberAt(copy, (name, size) => name.startsWith('blobs/') && size > MiB);
    flipByte(copy, blob.offset + Math.floor(blob.size / 2));
    const { result } = await sameEitherWay(copy, readFileSync(copy).length);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.code)).toContain('DIGEST_MISMATCH');
  });

  it('a flipped byte in the metadata (index.json, read on this thread): the same problems', async () => {
    const copy = `${good}.meta.tar`;
    writeFileSync(copy, readFileSync(good));
    const index = memberAt(copy, (name) => name === 'index.json');
    flipByte(copy, index.offset + 1);
    const { result } = await sameEitherWay(copy, readFileSync(copy).length);
    expect(result.problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'index.json', code: 'DIGEST_MISMATCH' })]));
  });

  it('a bundle cut short inside a blob: the same MALFORMED (truncated), the blob without a digest', async () => {
    const copy = `${good}.cut.tar`;
    writeFileSync(copy, readFileSync(good));
    const blob = memberAt(copy, (name, size) => name.startsWith('blobs/') && size > 2 * MiB);
    truncateSync(copy, blob.offset + 1000);
    const { result } = await sameEitherWay(copy, blob.offset + 1000);
    expect(result.problems[0]).toMatchObject({ code: 'MALFORMED', message: expect.stringMatching(/bytes short \(truncated\)/) });
  });

  it('a damaged header mid-archive: the same structure problem', async () => {
    const copy = `${good}.header.tar`;
    writeFileSync(copy, readFileSync(good));
    const blob = memberAt(copy, (name, size) => name.startsWith('blobs/') && size > 2 * MiB);
    flipByte(copy, blob.offset - 512 + 130); // inside the size field of the member's header
    const one = await verifyWith(copy, 0);
    const many = await verifyWith(copy, 3);
    expect(many.result).toEqual(one.result);
    expect(one.result.problems.map((p) => p.code)).toContain('MALFORMED');
  });

  it('a split bundle: parts hashed in parallel; a damaged part is named, and the member in it, as on one thread', async () => {
    const dir = join(split, '..');
    const parts = readdirSync(dir).filter((n) => /\.\d{3}$/.test(n));
    expect(parts.length).toBeGreaterThan(4);
    const size = parts.reduce((n, p) => n + readFileSync(join(dir, p)).length, 0);
    const intact = await sameEitherWay(split, size);
    expect(intact.result).toMatchObject({ ok: true, problems: [] });
    expect(intact.threads.size).toBeGreaterThan(1);

    const victim = join(dir, parts[2] as string);
    flipByte(victim, 3 * MiB);
    const { result } = await sameEitherWay(split, size);
    expect(result.problems.filter((p) => p.path === parts[2])).toEqual([
      expect.objectContaining({ code: 'DIGEST_MISMATCH', message: expect.stringContaining('copy this part again') }),
    ]);
    expect(result.problems.length).toBeGreaterThan(1); // the member the byte belongs to, too
  });

  it('an abort stops the workers at once: the pass rejects with the abort', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const pass = verifyBundle(good, {
      workers: 3,
      signal: ac.signal,
      events: (e) => void (e.type === 'bytes' && ac.abort()),
    });
    await expect(pass).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

// A check of the test itself: the digest of a member computed here matches what verify reports.
it('contents carry the sha256 each member hashes to', async () => {
  const path = await manyMembers();
  const { result } = await verifyWith(path, 2);
  const m = memberAt(path, (name) => name === 'index.json');
  const body = readFileSync(path).subarray(m.offset, m.offset + m.size);
  expect(result.contents.get('index.json')?.sha256).toBe(createHash('sha256').update(body).digest('hex'));
});

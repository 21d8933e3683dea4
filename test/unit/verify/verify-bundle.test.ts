import { openSync, readFileSync, truncateSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Digest, digestHex, sha256 } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { openFileSource } from '../../../src/bundle/byte-source.js';
import { formatSha256Sums } from '../../../src/bundle/sha256sums.js';
import { scanTarIndex } from '../../../src/bundle/tar-index.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import { verifyBundle } from '../../../src/verify/verify-bundle.js';
import { type RawEntry, LOCK, MemoryBlobs, addImage, indexOf, rawEntries, rawTar, sampleBundle, tempDir } from '../bundle/fixtures.js';

async function goodBundle() {
  const dir = tempDir('ferry-verify-');
  const path = join(dir, 'b.tar');
  const { store, opts } = sampleBundle(path);
  await writeBundle(opts);
  return { dir, path, store };
}

/** Rewrites the entries after SHA256SUMS; SHA256SUMS is recomputed when `resum`, else kept as it was. */
function rebuild(path: string, mutate: (e: RawEntry[]) => RawEntry[], resum = true): string {
  const [sums, ...rest] = rawEntries(readFileSync(path)) as [RawEntry, ...RawEntry[]];
  const entries = mutate(rest);
  const newSums: RawEntry = resum
    ? ['SHA256SUMS', formatSha256Sums(entries.map(([p, b]) => ({ path: p, hex: digestHex(sha256(b)) })))]
    : sums;
  const out = `${path}.rebuilt.tar`;
  writeFileSync(out, rawTar([newSums, ...entries]));
  return out;
}

describe('verifyBundle', () => {
  it('passes a good bundle and reports progress for every byte', async () => {
    const { path } = await goodBundle();
    let seen = 0;
    let total: number | undefined;
    const res = await verifyBundle(path, {
      events: (e) => {
        if (e.type === 'bytes' && e.phase === 'verify') seen += e.n;
        if (e.type === 'phase') total = e.totalBytes;
      },
    });
    expect(res).toMatchObject({ ok: true, entries: 11, bytes: readFileSync(path).length, problems: [], signature: { status: 'unsigned' } });
    expect(res.contents.get('SHA256SUMS')?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(seen).toBe(res.bytes);
    // The verify phase announced the file's size as its total.
    expect(total).toBe(readFileSync(path).length);
  });

  it('names exactly the corrupted blob when one byte is flipped in place', async () => {
    const { path, store } = await goodBundle();
    const layer = [...store.blobs].find(([, b]) => b.length === 2048)![0] as Digest;
    const src = await openFileSource(path);
    const entry = (await scanTarIndex(src)).find((e) => e.path === `blobs/sha256/${digestHex(layer)}`)!;
    await src.close();
    const fd = openSync(path, 'r+');
    const byte = Buffer.alloc(1);
    byte[0] = readFileSync(path)[entry.offset + 700]! ^ 0xff;
    writeSync(fd, byte, 0, 1, entry.offset + 700);
    closeSync(fd);

    const res = await verifyBundle(path);
    expect(res.ok).toBe(false);
    expect(res.problems).toHaveLength(1);
    expect(res.problems[0]).toMatchObject({ path: entry.path, code: 'DIGEST_MISMATCH', expected: digestHex(layer) });
  });

  it('reports LAYOUT_INCOMPLETE when a manifest references a blob the bundle lacks, naming manifest and image', async () => {
    const dir = tempDir('ferry-verify-');
    const path = join(dir, 'b.tar');
    const store = new MemoryBlobs();
    const img = addImage(store, 'docker.io/library/hello', '1.0');
    const manifest = JSON.parse(store.blobs.get(img.digest)!.toString());
    const layerDigest = manifest.layers[0].digest as string;
    store.blobs.delete(layerDigest);
    await writeBundle({ outPath: path, name: 'x', toolVersion: '0', lock: LOCK, index: indexOf([img]), blobs: store.source() });

    const res = await verifyBundle(path);
    expect(res.problems).toEqual([
      expect.objectContaining({
        code: 'LAYOUT_INCOMPLETE',
        path: `blobs/sha256/${digestHex(layerDigest as Digest)}`,
        message: expect.stringMatching(new RegExp(`manifest ${img.digest}.*docker.io/library/hello:1.0`)),
      }),
    ]);
  });

  it('reports a blob whose size differs from its descriptor', async () => {
    const dir = tempDir('ferry-verify-');
    const store = new MemoryBlobs();
    const img = addImage(store, 'docker.io/library/hello', '1.0');
    const path = join(dir, 'b.tar');
    await writeBundle({
      outPath: path,
      name: 'x',
      toolVersion: '0',
      lock: LOCK,
      index: indexOf([{ ...img, size: img.size + 1 }]),
      blobs: store.source(),
    });
    expect((await verifyBundle(path)).problems).toEqual([
      expect.objectContaining({ code: 'LAYOUT_INCOMPLETE', expected: img.size + 1, actual: img.size }),
    ]);
  });

  it('reports an extra entry not listed in SHA256SUMS as UNEXPECTED', async () => {
    const { path } = await goodBundle();
    const bad = rebuild(path, (e) => [...e, ['extra.sh', Buffer.from('echo hi\n')]], false);
    expect((await verifyBundle(bad)).problems).toEqual([expect.objectContaining({ path: 'extra.sh', code: 'UNEXPECTED' })]);
  });

  it('reports a listed file the archive lacks as MISSING', async () => {
    const { path } = await goodBundle();
    const victim = rawEntries(readFileSync(path))[6]![0];
    const bad = rebuild(path, (e) => e.filter(([p]) => p !== victim), false);
    const res = await verifyBundle(bad);
    expect(res.problems).toContainEqual(expect.objectContaining({ path: victim, code: 'MISSING' }));
  });

  it('reports a blob whose SHA256SUMS hash is not its name', async () => {
    const { path } = await goodBundle();
    const wrong = `blobs/sha256/${'0'.repeat(64)}`;
    const bad = rebuild(path, (e) => [...e, [wrong, Buffer.from('not zero')]]);
    const res = await verifyBundle(bad);
    expect(res.problems).toEqual([expect.objectContaining({ path: wrong, code: 'BLOB_NAME_MISMATCH', expected: '0'.repeat(64) })]);
  });

  it('requires SHA256SUMS first and a lock with a numeric lockVersion', async () => {
    const { path } = await goodBundle();
    const bad = rebuild(path, (e) =>
      e.map(([p, b]): RawEntry => (p === 'ferry.lock.json' ? [p, Buffer.from('{"lockVersion":"1"}')] : [p, b])),
    );
    const reordered = rawEntries(readFileSync(bad));
    writeFileSync(bad, rawTar([...reordered.slice(1, 3), reordered[0]!, ...reordered.slice(3)]));
    const codes = (await verifyBundle(bad)).problems.map((p) => [p.path, p.code]);
    expect(codes).toEqual([
      ['oci-layout', 'MALFORMED'],
      ['ferry.lock.json', 'MALFORMED'],
    ]);
  });

  it('reports a truncated bundle as MALFORMED and MISSING without throwing', async () => {
    const { path } = await goodBundle();
    const entries = rawEntries(readFileSync(path));
    const last = entries[entries.length - 1]![0];
    truncateSync(path, readFileSync(path).length - 2048); // into the last blob's data
    let res = await verifyBundle(path);
    expect(res.problems[0]).toMatchObject({ path: last, code: 'MALFORMED', message: expect.stringMatching(/truncated/) });
    truncateSync(path, 5000); // just after ferry.lock.json: index.json and every blob are missing
    res = await verifyBundle(path);
    expect(res.problems.filter((p) => p.code === 'MISSING').map((p) => p.path)).toEqual(
      entries
        .slice(4)
        .map(([p]) => p)
        .sort(),
    );
    truncateSync(path, 100);
    expect((await verifyBundle(path)).problems.map((p) => p.code)).toContain('MALFORMED');
  });

  it('refuses garbage in one line: not a tar archive', async () => {
    const dir = tempDir('ferry-verify-');
    writeFileSync(join(dir, 'junk'), Buffer.alloc(10_000, 0x41));
    await expect(verifyBundle(join(dir, 'junk'))).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      message: expect.stringMatching(/junk: not a tar archive/),
    });
  });

  it('does not parse a damaged manifest but still reports its digest mismatch', async () => {
    const { path, store } = await goodBundle();
    const manifestDigest = [...store.blobs].find(([, b]) => b.toString().includes(MediaType.OciConfig))![0];
    const p = `blobs/sha256/${digestHex(manifestDigest as Digest)}`;
    const bad = rebuild(path, (e) => e.map(([n, b]): RawEntry => (n === p ? [n, Buffer.from('{not json')] : [n, b])), false);
    const res = await verifyBundle(bad);
    expect(res.problems.map((x) => [x.path, x.code])).toEqual([
      [p, 'DIGEST_MISMATCH'],
      [p, 'LAYOUT_INCOMPLETE'],
    ]);
  });
});

describe('verifyBundle abort', () => {
  it('stops with an AbortError when the signal fires', async () => {
    const { path } = await goodBundle();
    const ac = new AbortController();
    ac.abort();
    await expect(verifyBundle(path, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/core/digest.js';
import { FerryError } from '../../../src/core/errors.js';
import { readAll } from '../../../src/core/streams.js';
import { type WrittenBlobs, fillBundle } from '../../../src/pull/fill-bundle.js';
import { ContentStore } from '../../../src/store/content-store.js';

/** The hook pull's signature check runs in: after every blob is written, before the bundle is renamed into place. */
async function fill(afterFill: (w: WrittenBlobs) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-fill-after-'));
  const store = new ContentStore(join(dir, 'cache'));
  const body = Buffer.from('a signature layer, say');
  const desc = { mediaType: 'application/octet-stream', digest: sha256(body), size: body.length };
  await store.push(desc, Readable.from([body]));
  const outPath = join(dir, 'b.tar');
  const run = fillBundle(
    {
      outPath,
      name: 't',
      toolVersion: 'test',
      lock: Buffer.from('{}\n'),
      index: { schemaVersion: 2, manifests: [] },
      blobs: new Map([[desc.digest, desc.size]]),
      omitted: new Set(),
      store,
      events: () => {},
      afterFill,
    },
    async () => {},
  );
  return { run, outPath, dir, desc, body };
}

describe('fillBundle afterFill', () => {
  it('reads the written blobs back from the bundle being filled', async () => {
    let seen: Buffer | undefined;
    let has = false;
    const f = await fill(async (w) => {
      has = w.has(sha256(Buffer.from('a signature layer, say')));
      seen = await readAll(await w.fetch({ mediaType: '', digest: sha256(Buffer.from('a signature layer, say')), size: 22 }));
    });
    await f.run;
    expect(has).toBe(true);
    expect(seen?.toString()).toBe('a signature layer, say');
    expect(existsSync(f.outPath)).toBe(true);
  });

  it('a failure there fails the fill and leaves nothing at the bundle name', async () => {
    const f = await fill(async () => {
      throw new FerryError('SIGNATURE_INVALID', 'x: no valid signature');
    });
    await expect(f.run).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(existsSync(f.outPath)).toBe(false);
    expect(readdirSync(f.dir).filter((n) => n === 'b.tar' || n === 'b.tar.lock.json')).toEqual([]);
  });
});

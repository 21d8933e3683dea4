import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/core/digest.js';
import { type Descriptor, MediaType } from '../../../src/core/media-types.js';
import { FerryError } from '../../../src/core/errors.js';
import { copyGraph } from '../../../src/graph/copy.js';
import { MemoryStorage } from './memory-storage.js';

function blob(src: MemoryStorage, text: string, mediaType: string = MediaType.OctetStream): Descriptor {
  const body = Buffer.from(text);
  const d = { mediaType, digest: sha256(body), size: body.length };
  src.add(body, d.digest);
  return d;
}

function image(src: MemoryStorage, name: string, base: Descriptor): Descriptor {
  const config = blob(src, `{"config":"${name}"}`, MediaType.OciConfig);
  const own = blob(src, `layer of ${name}`);
  return blob(
    src,
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [base, own] }),
    MediaType.OciManifest,
  );
}

describe('copyGraph', () => {
  it('copies children before parents and shares blobs through the tracker', async () => {
    const src = new MemoryStorage();
    const base = blob(src, 'shared base layer');
    const a = image(src, 'a', base);
    const b = image(src, 'b', base);
    const index = blob(src, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [a, b] }), MediaType.OciIndex);
    const dst = new MemoryStorage();
    const tracker = new Map<string, Promise<void>>();
    await copyGraph(src, dst, index, { tracker });
    await copyGraph(src, dst, a, { tracker });
    expect(dst.pushes.filter((d) => d === base.digest)).toHaveLength(1);
    expect(dst.pushes.indexOf(base.digest)).toBeLessThan(dst.pushes.indexOf(a.digest));
    expect(dst.pushes.indexOf(a.digest)).toBeLessThan(dst.pushes.indexOf(index.digest));
    expect(dst.pushes.at(-1)).toBe(index.digest);
    expect(dst.blobs.size).toBe(src.blobs.size);
  });

  it('skips a subtree whose root the target already has', async () => {
    const src = new MemoryStorage();
    const a = image(src, 'a', blob(src, 'base'));
    const dst = new MemoryStorage();
    dst.add(src.blobs.get(a.digest) as Buffer, a.digest);
    await copyGraph(src, dst, a);
    expect(dst.pushes).toEqual([]);
    expect(src.fetches).toEqual([]);
  });

  it('refuses corrupted source bytes and names the blob', async () => {
    const src = new MemoryStorage();
    const layer = blob(src, 'good bytes');
    const a = blob(
      src,
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: layer, layers: [] }),
      MediaType.OciManifest,
    );
    src.add(Buffer.from('evil bytes'), layer.digest);
    const dst = new MemoryStorage();
    await expect(copyGraph(src, dst, a, { subject: 'docker.io/x/y:1' })).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(`docker.io/x/y:1: blob ${layer.digest}`),
    });
    expect(dst.blobs.has(a.digest)).toBe(false);
  });

  it('starts a blob again from the source after a transient failure, but never retries an integrity failure', async () => {
    const src = new MemoryStorage();
    const a = image(src, 'a', blob(src, 'base'));
    const flaky = new (class extends MemoryStorage {
      failures = 1;
      override async push(desc: Descriptor, content: import('node:stream').Readable): Promise<void> {
        if (desc.mediaType === MediaType.OctetStream && this.failures-- > 0) {
          content.resume();
          throw new FerryError('NETWORK_ERROR', 'connection reset', { retriable: true });
        }
        return super.push(desc, content);
      }
    })();
    const events: string[] = [];
    await copyGraph(src, flaky, a, { events: (e) => e.type === 'retry' && events.push(e.reason) });
    expect(events).toEqual(['connection reset']);
    expect(flaky.blobs.size).toBe(src.blobs.size);
  });
});

import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decompressed } from '../../../src/docker-archive/decompress.js';
import { readAll } from '../../../src/core/streams.js';
import { requireTools } from '../../helpers/tools.js';

const ok = requireTools('zstd', 'sh');

describe.runIf(ok)('zstd decoding of untrusted archives is bounded in memory', () => {
  it("refuses a frame that asks for a 1 GiB window instead of allocating it, and still reads RKE2's --long=25", async () => {
    process.env.FERRY_ZSTD = 'cli';
    try {
      // 200 MB of zeros from a pipe (no pledged size), so the encoder keeps the whole 2^30 window: 7 KB of zstd.
      const huge = execFileSync('sh', ['-c', 'head -c 200000000 /dev/zero | zstd -q -c -1 --long=30'], { maxBuffer: 1 << 20 });
      expect(huge.length).toBeLessThan(64 << 10);
      const { stream } = await decompressed(Readable.from([huge]));
      await expect(readAll(stream)).rejects.toThrow(/Frame requires too much memory|Window size larger than maximum/);

      const normal = execFileSync('sh', ['-c', 'head -c 50000000 /dev/zero | zstd -q -c -1 --long=25'], { maxBuffer: 1 << 20 });
      const { stream: ok } = await decompressed(Readable.from([normal]));
      expect((await readAll(ok)).length).toBe(50_000_000);
    } finally {
      delete process.env.FERRY_ZSTD;
    }
  });
});

import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type IndexForm, decompressChunks } from '../../../src/core/decompress-pieces.js';
import { FerryError } from '../../../src/core/errors.js';
import { requireTools } from '../../helpers/tools.js';

const hasXz = requireTools('xz');
const errors = { tooBig: () => new FerryError('INTEGRITY_FAILED', 'too big') };
const text = Array.from({ length: 20_000 }, (_, i) => `Package: p${i}\nVersion: 1.${i}\nDescription: ünïcode\n`).join('\n');

const encode: Record<IndexForm, (b: Buffer) => Buffer> = {
  none: (b) => b,
  gz: (b) => gzipSync(b),
  xz: (b) => execFileSync('xz', ['-c', '-1', '-T1'], { input: b, maxBuffer: 1 << 30 }),
};

/** `body` streamed in 4 KiB chunks; `fail` thrown after the last one (as a digest checked at the end would be). */
function streamed(body: Buffer, opts: { fail?: Error; closed?: { done: boolean } } = {}): AsyncIterable<Buffer> {
  return (async function* () {
    try {
      for (let at = 0; at < body.length; at += 4096) yield body.subarray(at, at + 4096);
      if (opts.fail) throw opts.fail;
    } finally {
      if (opts.closed) opts.closed.done = true;
    }
  })();
}

async function decodeAll(input: Buffer | AsyncIterable<Buffer>, form: IndexForm, cap = 1 << 30): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of decompressChunks(input, form, cap, errors)) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

afterEach(() => {
  delete process.env.FERRY_XZ;
});

const cases: [string, IndexForm, string | undefined][] = [
  ['plain', 'none', undefined],
  ['gzip', 'gz', undefined],
  ['xz (CLI)', 'xz', 'cli'],
  ['xz (WebAssembly)', 'xz', 'js'],
];

describe.each(cases)('decompressChunks of a streamed input: %s', (_name, form, decoder) => {
  const skip = form === 'xz' && !hasXz;
  const use = () => {
    if (decoder) process.env.FERRY_XZ = decoder;
  };

  it.skipIf(skip)('decodes a stream as it decodes the same bytes held', async () => {
    use();
    const body = encode[form](Buffer.from(text));
    expect((await decodeAll(streamed(body), form)).toString()).toBe(text);
    expect((await decodeAll(body, form)).toString()).toBe(text);
  });

  it.skipIf(skip)("throws the input's own failure as it is, even once every byte was decoded", async () => {
    use();
    const body = encode[form](Buffer.from(text));
    const fail = new FerryError('DIGEST_MISMATCH', 'the layer does not hash to its digest');
    await expect(decodeAll(streamed(body, { fail }), form)).rejects.toBe(fail);
    // Cut short and then failing: still the input's error, not the decoder's word on a truncated stream.
    await expect(decodeAll(streamed(body.subarray(0, body.length >> 1), { fail }), form)).rejects.toBe(fail);
  });

  it.skipIf(skip)('stops at the cap and closes the input', async () => {
    use();
    const closed = { done: false };
    const body = encode[form](Buffer.from(text.repeat(4)));
    await expect(decodeAll(streamed(body, { closed }), form, 100_000)).rejects.toThrow('too big');
    await new Promise((r) => setTimeout(r, 50));
    expect(closed.done).toBe(true);
  });
});

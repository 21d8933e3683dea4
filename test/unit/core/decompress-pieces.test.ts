import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { decompressPieces, indexFormOf, type IndexForm } from '../../../src/core/decompress-pieces.js';
import { FerryError } from '../../../src/core/errors.js';
import { gunzipPieces } from '../../../src/core/gunzip-bounded.js';
import { xzDecoder } from '../../../src/core/xz-decode.js';
import { requireTools } from '../../helpers/tools.js';

const BLANK = /\n\n+/;
// The xz CLI makes the fixtures and is one of the two decoders: missing, the tests skip locally and fail under CI.
const hasXz = requireTools('xz');
const errors = {
  tooBig: () => new FerryError('INTEGRITY_FAILED', 'too big'),
  pieceTooLong: () => new FerryError('INTEGRITY_FAILED', 'piece too long'),
};
const roomy = { cap: 1 << 30, maxPiece: 1 << 20 };

function xz(input: Buffer | string, level = '-6'): Buffer {
  return execFileSync('xz', ['-c', level, '-T1'], { input, maxBuffer: 1 << 30 });
}

function stanzas(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`Package: p${i}\nVersion: 1.${i}\nDescription: ünïcode ${'x'.repeat(i % 300)}\n`);
  return out.join('\n');
}

async function collect(gen: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of gen) out.push(p);
  return out;
}

async function failure(gen: AsyncGenerator<string>): Promise<FerryError> {
  try {
    await collect(gen);
  } catch (err) {
    expect(err).toBeInstanceOf(FerryError);
    return err as FerryError;
  }
  throw new Error('expected a failure');
}

const expected = (text: string) => text.split(BLANK).filter((p) => p !== '');

// 200 MB of short lines compress to a few hundred KB; built once, on first use, for both decoders.
let bombXz: Buffer | undefined;
const bomb = () =>
  (bombXz ??= execFileSync('sh', ['-c', "yes 'Package: bomb' | head -c 200000000 | xz -c -6 -T1"], { maxBuffer: 1 << 26 }));

afterEach(() => {
  delete process.env.FERRY_XZ;
});

describe('indexFormOf', () => {
  it('tells the form by the path', () => {
    expect(indexFormOf('main/binary-amd64/Packages.xz')).toBe('xz');
    expect(indexFormOf('main/binary-amd64/Packages.gz')).toBe('gz');
    expect(indexFormOf('main/binary-amd64/Packages')).toBe('none');
  });
});

describe('decompressPieces, none and gz', () => {
  const text = stanzas(2000);
  it('none splits the buffer as the gzip path would', async () => {
    expect(await collect(decompressPieces(Buffer.from(text), 'none', BLANK, roomy, errors))).toEqual(expected(text));
  });
  it('none keeps the cap and the piece limit', async () => {
    expect((await failure(decompressPieces(Buffer.from(text), 'none', BLANK, { cap: 1000, maxPiece: 1 << 20 }, errors))).message).toBe(
      'too big',
    );
    const long = Buffer.from(`a\n\n${'b'.repeat(200_000)}\n\nc`);
    expect((await failure(decompressPieces(long, 'none', BLANK, { cap: 1 << 20, maxPiece: 100 }, errors))).message).toBe('piece too long');
  });
  it('gz gives what gunzipPieces gives', async () => {
    const gz = gzipSync(text);
    const want = await collect(gunzipPieces(gz, BLANK, roomy, errors));
    expect(await collect(decompressPieces(gz, 'gz', BLANK, roomy, errors))).toEqual(want);
    expect(want).toEqual(expected(text));
    expect((await failure(decompressPieces(gz, 'gz', BLANK, { cap: 1000, maxPiece: 1 << 20 }, errors))).message).toBe('too big');
  });
});

describe.skipIf(!hasXz).each(['cli', 'js'])('decompressPieces, xz with the %s decoder', (decoder) => {
  const use = () => (process.env.FERRY_XZ = decoder);
  const run = (body: Buffer, limits = roomy, form: IndexForm = 'xz') => decompressPieces(body, form, BLANK, limits, errors);

  it('is the decoder FERRY_XZ forces', () => {
    use();
    expect(xzDecoder()).toBe(decoder);
  });

  it('gives the pieces of the input split', async () => {
    use();
    const text = stanzas(5000);
    expect(await collect(run(xz(text)))).toEqual(expected(text));
  });

  it('decodes concatenated streams fully', async () => {
    use();
    const a = stanzas(300);
    const b = stanzas(700).replace(/Package: p/g, 'Package: q');
    const pieces = await collect(run(Buffer.concat([xz(`${a}\n\n`), xz(b, '-1')])));
    expect(pieces).toEqual(expected(`${a}\n\n${b}`));
  });

  it('stops a bomb at the cap, with little memory', async () => {
    use();
    const body = bomb();
    const before = process.memoryUsage().rss;
    let peak = before;
    let n = 0;
    const err = await (async () => {
      try {
        for await (const _ of decompressPieces(body, 'xz', /\n/, { cap: 10_000_000, maxPiece: 1000 }, errors)) {
          if (++n % 4096 === 0) peak = Math.max(peak, process.memoryUsage().rss);
        }
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toBe('too big');
    expect(n).toBeGreaterThan(600_000);
    expect(n).toBeLessThan(800_000);
    expect(peak - before).toBeLessThan(100 << 20);
  });

  it('fails a piece longer than maxPiece', async () => {
    use();
    const body = xz(`a\n\n${'b'.repeat(300_000)}\n\nc`);
    expect((await failure(run(body, { cap: 1 << 30, maxPiece: 100_000 }))).message).toBe('piece too long');
  });

  it('fails truncated, corrupt or non-xz input with a FerryError', async () => {
    use();
    const good = xz(stanzas(3000));
    const truncated = await failure(run(good.subarray(0, good.length >> 1)));
    expect(truncated.code).toBe('INTEGRITY_FAILED');
    expect(truncated.message).toMatch(/^xz: \S/);
    const corrupt = Buffer.from(good);
    for (let i = 100; i < 200; i++) corrupt[i] ^= 0x55;
    expect((await failure(run(corrupt))).message).toMatch(/^xz: \S/);
    expect((await failure(run(Buffer.from('Package: plain\n')))).message).toMatch(/^xz: \S/);
    expect((await failure(run(Buffer.alloc(0)))).message).toMatch(/^xz: \S/);
  });

  it('can stop early and decode again', async () => {
    use();
    const text = stanzas(5000);
    const body = xz(text);
    for await (const p of run(body)) {
      expect(p).toBe(expected(text)[0]);
      break;
    }
    expect(await collect(run(body))).toEqual(expected(text));
  });
});

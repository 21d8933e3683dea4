import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { VerifyingStream, digestFromHex, parseDigest, sha256 } from '../../../src/core/digest.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describe('digests', () => {
  it('validates the sha256 form', () => {
    expect(parseDigest(`sha256:${'0'.repeat(64)}`)).toBe(`sha256:${'0'.repeat(64)}`);
    expect(() => parseDigest(`sha256:${'A'.repeat(64)}`)).toThrow(/invalid digest/);
    expect(() => parseDigest('sha512:00')).toThrow(/invalid digest/);
    expect(digestFromHex('AB'.repeat(32))).toBe(`sha256:${'ab'.repeat(32)}`);
  });

  it('VerifyingStream passes good bytes and refuses wrong digest or size', async () => {
    const data = Buffer.from('hello ferry');
    const good = { digest: sha256(data), size: data.length, subject: 'test blob' };
    await pipeline(Readable.from([data]), new VerifyingStream(good), sink());
    await expect(pipeline(Readable.from([Buffer.from('hello ferrY')]), new VerifyingStream(good), sink())).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(`expected ${good.digest}`),
    });
    await expect(pipeline(Readable.from([data, data]), new VerifyingStream(good), sink())).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(pipeline(Readable.from([data.subarray(0, 3)]), new VerifyingStream(good), sink())).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
  });
});

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBounded, readPrefix, retryingBody } from '../../../src/registry/read-body.js';
import type { HttpResponse } from '../../../src/registry/transport.js';
import { httpTimeoutsFromEnv } from '../../../src/registry/http-limits.js';
import { parseByteSize } from '../../../src/cli/options.js';

function response(
  chunks: AsyncIterable<Buffer> | Buffer[],
  headers: Record<string, string> = {},
  limits?: HttpResponse['limits'],
): HttpResponse & { destroyed: () => boolean } {
  const body = Readable.from(chunks, { objectMode: false }) as HttpResponse['body'];
  return {
    status: 200,
    headers,
    body,
    url: 'https://user:pw@up.example/v2/x/manifests/1?token=secret',
    ...(limits ? { limits } : {}),
    destroyed: () => body.destroyed,
  };
}

async function* endless(): AsyncGenerator<Buffer> {
  for (;;) yield Buffer.alloc(1 << 16, 0x61);
}

async function* trickle(): AsyncGenerator<Buffer> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    yield Buffer.from('x');
  }
}

describe('readBounded / readPrefix: bodies read into memory with a limit and a deadline', () => {
  it('refuses up front a body whose Content-Length exceeds the limit, without reading it; credentials and query never shown', async () => {
    const res = response([Buffer.from('{}')], { 'content-length': String(5 << 20) });
    await expect(readBounded(res, 4 << 20, 'up/x:1: manifest')).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      message:
        'up/x:1: manifest (https://***@up.example/v2/x/manifests/1?…): larger than the 4194304 bytes ferry reads into memory (it declares 5242880)',
      details: { limit: 4 << 20 },
    });
    expect(res.destroyed()).toBe(true);
  });

  it('cuts off an endless body at the limit', async () => {
    const res = response(endless());
    await expect(readBounded(res, 1 << 20, 'token response')).rejects.toThrow(
      /larger than the 1048576 bytes ferry reads into memory \(more arrived\)/,
    );
    expect(res.destroyed()).toBe(true);
  });

  it('fails a trickled body at its deadline, naming the URL; a body within both limits is returned whole', async () => {
    const started = Date.now();
    await expect(
      readBounded(response(trickle(), { 'content-length': '1000' }, { timeoutMs: 1000, deadlineMs: 300 }), 4 << 20, 'up/x:1: manifest'),
    ).rejects.toThrow(
      /up\/x:1: manifest \(https:\/\/\*\*\*@up\.example\/v2\/x\/manifests\/1\?…\): not complete after 0\.3 s \(\d+ bytes arrived\)/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await readBounded(response([Buffer.from('ab'), Buffer.from('c')]), 3, 'x')).toString()).toBe('abc');
  });

  it('readPrefix reads only the start of an endless error body, and closes it', async () => {
    const res = response(endless());
    const text = await readPrefix(res, 100_000);
    expect(text.length).toBe(100_000);
    expect(res.destroyed()).toBe(true);
  });

  it('timeouts come from FERRY_HTTP_TIMEOUT / FERRY_HTTP_DEADLINE in seconds, with defaults for absent or bad values', () => {
    expect(httpTimeoutsFromEnv({})).toEqual({ timeoutMs: 30_000, deadlineMs: 120_000 });
    expect(httpTimeoutsFromEnv({ FERRY_HTTP_TIMEOUT: '0.5', FERRY_HTTP_DEADLINE: 'x' })).toEqual({ timeoutMs: 500, deadlineMs: 120_000 });
  });

  it('--max-file-size reads sizes in powers of 1024', () => {
    expect(parseByteSize('64M', '--max-file-size')).toBe(64 << 20);
    expect(parseByteSize('16GiB', '--max-file-size')).toBe(16 * 1024 ** 3);
    expect(parseByteSize('1000', '--max-file-size')).toBe(1000);
    expect(() => parseByteSize('lots', '--max-file-size')).toThrow(/expected a size such as 16G/);
  });
});

describe('retryingBody: the stall detector retries a body that stalled or broke off, then fails naming the URL', () => {
  it('retries a broken-off body twice more, never a refused, too large or trickled one', async () => {
    const events: unknown[] = [];
    let calls = 0;
    const broken = async () => {
      calls++;
      async function* dies(): AsyncGenerator<Buffer> {
        yield Buffer.from('ab');
        throw Object.assign(new Error('Body Timeout Error'), { code: 'UND_ERR_BODY_TIMEOUT' });
      }
      return readBounded(response(dies(), {}, { timeoutMs: 30_000, deadlineMs: 60_000 }), 100, 'up/x:1: manifest');
    };
    await expect(retryingBody('https://up.example/v2/x/manifests/1', (e) => events.push(e), broken)).rejects.toThrow(
      'up/x:1: manifest (https://***@up.example/v2/x/manifests/1?…): the response broke off after 2 bytes: no data for 30 s (FERRY_HTTP_TIMEOUT sets the wait)',
    );
    expect(calls).toBe(3);
    expect(events).toHaveLength(2);
    calls = 0;
    await expect(
      retryingBody(
        'u',
        () => undefined,
        async () => (calls++, readBounded(response(endless()), 10, 'x')),
      ),
    ).rejects.toThrow(/larger than/);
    expect(calls).toBe(1);
  });
});

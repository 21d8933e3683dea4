import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChaosProxy, startChaosProxy } from '../helpers/chaos-proxy.js';
import { runCleanups } from '../helpers/cleanup.js';
import { type FaultyFileServer, startFaultyFileServer } from '../helpers/faulty-file-server.js';
import { makeImage, makeLayer, seed, seededBytes } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('python3');
const haveRegistry = requireTools('docker-registry');
const escape = (s: string) => s.replace(/[()]/g, '\\$&');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Files whose first download breaks off half-way in every way a server can end a body early, all in one pull, from
 * Python's http.server (test/helpers/faulty_http_server.py): a clean close (FIN) before the Content-Length, a chunked
 * body without its last chunk, a body without a length (HTTP/1.0) shorter than the size HEAD gave, and 429 then 503
 * before each of the first answer and its resume. Each is resumed with Range at the byte where it stopped.
 */
/**
 * What ferry can lose when a body breaks off: undici drops what it buffered for a reader that was behind (the
 * transport's 4 MiB body buffer, plus a socket read). The files and the blob are cut well past that, so the resume
 * must start after byte 0 however loaded the machine is; a smaller cut could legitimately restart from 0.
 */
const UNDICI_HOLDS = (4 << 20) + (1 << 20);
const CUT = 6 << 20;

describe.runIf(ok)('bundle pull resumes files however their download broke off', () => {
  let server: FaultyFileServer;
  const dir = scratch('ferry-broken-');
  const files = {
    'fin.bin': seededBytes('broken-fin', 12 << 20),
    'chunked.bin': seededBytes('broken-chunked', (12 << 20) + 12_345),
    'eof.bin': seededBytes('broken-eof', (12 << 20) + 777),
    'busy.bin': seededBytes('broken-busy', 12 << 20),
  };
  const paths = {
    'fin.bin': '/fin/fin.bin',
    'chunked.bin': '/chunked/chunked.bin',
    'eof.bin': '/eof/eof.bin',
    'busy.bin': '/busy/busy.bin',
  };

  beforeAll(async () => {
    server = await startFaultyFileServer(dir, files);
  });
  afterAll(runCleanups);

  it('one pull of four files broken off four ways succeeds, each resumed with Range where it broke off, and verifies', async () => {
    const entries = Object.entries(files)
      .map(([name, body]) => `    - url: ${server.url}${paths[name as keyof typeof paths]}\n      sha256: ${hex(body)}\n`)
      .join('');
    const manifest = writeManifest(dir, `  files:\n${entries}`);
    const out = join(dir, 'out', 'b.tar');
    const cache = join(dir, 'cache');
    const r = await run(['--no-progress', 'bundle', 'pull', manifest, '-o', out, '--cache', cache]);
    expect(r.code, r.stderr).toBe(0);
    for (const body of Object.values(files)) expect(hex(readFileSync(join(cache, 'blobs', 'sha256', hex(body))))).toBe(hex(body));

    const log = server.log();
    for (const [name, path] of Object.entries(paths)) {
      const gets = log.filter((l) => l.method === 'GET' && l.path === path);
      const body = files[name as keyof typeof files];
      const half = Math.floor(body.length / 2);
      // The resume starts at the first byte ferry had not received: the byte where the first answer stopped, or
      // earlier by what undici still held for a reader that was behind when the connection ended (it drops that).
      const from = Number(/^bytes=(\d+)-$/.exec(gets.at(-1)?.range ?? '')?.[1]);
      expect(from, `${name}: ${JSON.stringify(gets)}`).toBeGreaterThan(half - UNDICI_HOLDS);
      expect(from).toBeLessThanOrEqual(half);
      const busy = name === 'busy.bin' ? ['429 - 0', '503 - 0'] : [];
      const busyRanged = name === 'busy.bin' ? [`429 bytes=${from}- 0`, `503 bytes=${from}- 0`] : [];
      expect(
        gets.map((l) => `${l.status} ${l.range ?? '-'} ${l.sent}`),
        name,
      ).toEqual([...busy, `200 - ${half}`, ...busyRanged, `206 bytes=${from}- ${body.length - from}`]);
    }
    const verify = await run(['bundle', 'verify', out]);
    expect(verify.code, verify.stderr).toBe(0);
  }, 120_000);
});

/**
 * The same for registry blobs: a proxy in front of Debian's docker-registry ends the first answer for one layer
 * cleanly (FIN) after 6 MiB on a `Connection: close` response, so undici sees the body end short of its
 * Content-Length, and re-frames the first answer for another layer as chunked and ends it after 6 MiB without its last
 * chunk; each layer's Range re-open is answered 429 (Retry-After: 1) and then 503, and so is the config blob's first
 * request.
 */
describe.runIf(haveRegistry)('bundle pull resumes blobs cut short by a clean close or a chunked body, through 429 and 503', () => {
  let reg: TestRegistry;
  let proxy: ChaosProxy;
  let layerDigests: [string, string];
  let configDigest: string;
  beforeAll(async () => {
    reg = await startRegistry();
    const fin = await makeLayer({ seed: 'broken-blob-layer', size: 12 << 20, gzip: false });
    const chunked = await makeLayer({ seed: 'broken-blob-chunked', size: (12 << 20) + 4321, gzip: false });
    layerDigests = [fin.digest, chunked.digest];
    const image = makeImage({ layers: [fin, chunked] });
    configDigest = image.config.digest;
    await seed(reg, 'acme/app', 'v1', image);
    proxy = await startChaosProxy(reg.url);
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('the pull succeeds, each layer resumed where it broke off after a 429 and a 503, and the bundle verifies', async () => {
    const dir = scratch('ferry-broken-blob-');
    const [fin, chunked] = layerDigests.map((d) => new RegExp(`/blobs/${d}$`)) as [RegExp, RegExp];
    const config = new RegExp(`/blobs/${configDigest}$`);
    const busy = (path: RegExp) => [
      { method: 'GET', path, times: 1, action: { status: 429, retryAfter: '1' } },
      { method: 'GET', path, times: 1, action: { status: 503 } },
    ];
    proxy.rules.push(
      { method: 'GET', path: fin, times: 1, action: { truncateAfterBytes: CUT } },
      ...busy(fin),
      { method: 'GET', path: chunked, times: 1, action: { truncateAfterBytes: CUT, chunked: true } },
      ...busy(chunked),
      ...busy(config),
    );
    const manifest = writeManifest(dir, '  images:\n    - acme/app:v1\n');
    const out = join(dir, 'b.tar');
    const r = await run([
      'bundle',
      'pull',
      manifest,
      '-o',
      out,
      '--cache',
      join(dir, 'cache'),
      '--mirror',
      `docker.io=${proxy.url}`,
      '--verbose',
    ]);
    expect(r.code, r.stderr).toBe(0);
    // No warning: stderr (no terminal) holds only --verbose's progress lines, each resume with why the body ended.
    expect(r.stderr).not.toMatch(/^(warning|ferry: error)/m);
    for (const [digest, why] of [
      [layerDigests[0], 'before the end of the body (Content-Length)'],
      [layerDigests[1], 'before the last chunk of the body'],
    ]) {
      expect(r.stderr).toMatch(
        new RegExp(`: the server closed the connection ${escape(why)}; resuming at byte \\d+ \\(\\S+/blobs/${digest}\\)`),
      );
    }
    const gets = (path: RegExp) =>
      proxy.log.filter((l) => l.method === 'GET' && path.test(l.path)).map((l) => `${l.outcome} ${l.headers.range ?? '-'}`);
    for (const [path, cut] of [
      [fin, 'truncate'],
      [chunked, 'truncate-chunked'],
    ] as const) {
      // At the cut, or before it by what undici held for a reader that was behind (see the files' test above).
      const from = Number(/bytes=(\d+)-$/.exec(gets(path).at(-1) ?? '')?.[1]);
      expect(from, cut).toBeGreaterThan(CUT - UNDICI_HOLDS);
      expect(from, cut).toBeLessThanOrEqual(CUT);
      expect(gets(path)).toEqual([`${cut} -`, `status 429 bytes=${from}-`, `status 503 bytes=${from}-`, `pass bytes=${from}-`]);
    }
    // The config is read twice (platform check, then copy); the first read met the 429 and the 503.
    expect(gets(config).slice(0, 3)).toEqual(['status 429 -', 'status 503 -', 'pass -']);
    const verify = await run(['bundle', 'verify', out]);
    expect(verify.code, verify.stderr).toBe(0);
  }, 120_000);
});

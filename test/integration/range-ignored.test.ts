import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostTag } from '../../src/store/writers.js';
import { type ChaosProxy, startChaosProxy } from '../helpers/chaos-proxy.js';
import { makeImage, makeLayer, seed, seededBytes } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = seededBytes('range-ignored', 3 << 20);
const URL_UP = 'https://downloads.example/pkg/tool.bin';

/**
 * A hostile file server: it never honours Range (always 200 with the whole body) and cuts the first `cuts`
 * responses after 1 MiB, as a flaky link in front of a server without Range support would.
 */
interface Hostile {
  url: string;
  cuts: number;
  log: { range?: string; status: number }[];
  stop(): Promise<void>;
}

async function startHostile(): Promise<Hostile> {
  const state: Hostile = { url: '', cuts: 0, log: [], stop: async () => {} };
  const server: Server = createServer((req, res) => {
    state.log.push({ ...(req.headers.range ? { range: req.headers.range } : {}), status: 200 });
    res.writeHead(200, { 'content-length': String(body.length) });
    if (req.method === 'HEAD') return void res.end();
    if (state.cuts > 0) {
      state.cuts--;
      res.write(body.subarray(0, 1 << 20), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  return state;
}

describe('a file server that ignores Range after a dropped connection', () => {
  let srv: Hostile;
  beforeAll(async () => {
    srv = await startHostile();
  });
  afterAll(async () => srv?.stop());

  const setup = () => {
    const dir = scratch('ferry-range-');
    const manifest = writeManifest(dir, `  files:\n    - url: ${URL_UP}\n      sha256: ${hex(body)}\n`);
    const cache = join(dir, 'cache');
    const pull = (out: string) =>
      run([
        'bundle',
        'pull',
        manifest,
        '-o',
        join(dir, out),
        '--cache',
        cache,
        '--mirror',
        `https://downloads.example/=${srv.url}/`,
        '--no-progress',
      ]);
    return { dir, cache, pull };
  };
  const partials = (cache: string) => {
    try {
      return readdirSync(join(cache, 'partial'));
    } catch {
      return [];
    }
  };

  it('cut once, then 200 to the Range request: starts again from byte 0 and succeeds in one run', async () => {
    const { cache, pull } = setup();
    srv.cuts = 1;
    srv.log.length = 0;
    const r = await pull('a.tar');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // It did ask to resume, was refused, and asked again without Range.
    expect(srv.log.filter((l) => /^bytes=[1-9]\d*-$/.test(l.range ?? ''))).toHaveLength(1);
    expect(srv.log.filter((l) => l.range === undefined).length).toBeGreaterThanOrEqual(2);
    expect(partials(cache)).toEqual([]);
    expect(readFileSync(join(cache, 'blobs', 'sha256', hex(body))).equals(body)).toBe(true);
  });

  it('cut every time: fails once, clearly, naming the URL, and leaves no partial, so the next run is not wedged', async () => {
    const { cache, pull } = setup();
    srv.cuts = 100;
    const r = await pull('a.tar');
    srv.cuts = 0;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[NETWORK_ERROR]');
    expect(r.stderr).toContain(URL_UP);
    expect(r.stderr).toContain('ignores Range requests');
    expect(r.stderr).toContain('started again from byte 0 once');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(partials(cache)).toEqual([]);
    const again = await pull('b.tar');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  });

  it('a partial left by a killed run, then a server that ignores Range: the re-run succeeds', async () => {
    const { cache, pull } = setup();
    mkdirSync(join(cache, 'partial'), { recursive: true });
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const tag = hostTag();
    writeFileSync(join(cache, 'partial', `${hex(body)}.${tag}.${dead}.0a0b0c`), body.subarray(0, 500_000));
    // The name older ferry releases used for the shared partial is taken over too.
    writeFileSync(join(cache, 'partial', hex(body)), body.subarray(0, 700_000));
    srv.cuts = 0;
    srv.log.length = 0;
    const r = await pull('a.tar');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(srv.log.some((l) => l.range === 'bytes=700000-')).toBe(true);
    expect(partials(cache)).toEqual([]);
  });
});

describe.runIf(requireTools('docker-registry'))('a registry behind a proxy that cuts a blob and then ignores Range', () => {
  let reg: TestRegistry;
  let proxy: ChaosProxy;
  let layerDigest: string;
  beforeAll(async () => {
    reg = await startRegistry();
    const layer = await makeLayer({ seed: 'range-ignored-layer', size: 2 << 20, gzip: false });
    layerDigest = layer.digest;
    await seed(reg, 'acme/app', 'v1', makeImage({ layers: [layer] }));
    proxy = await startChaosProxy(reg.url);
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('pull restarts the blob from byte 0 and succeeds; the bundle verifies', async () => {
    const dir = scratch('ferry-range-');
    const blob = new RegExp(`/blobs/${layerDigest}$`);
    proxy.rules.push(
      { method: 'GET', path: blob, times: 1, action: { dropAfterBytes: 500_000 } },
      { method: 'GET', path: blob, times: 10, action: { ignoreRange: true } },
    );
    const manifest = writeManifest(dir, '  images:\n    - acme/app:v1\n');
    const r = await run([
      'bundle',
      'pull',
      manifest,
      '-o',
      join(dir, 'b.tar'),
      '--cache',
      join(dir, 'cache'),
      '--mirror',
      `docker.io=${proxy.url}`,
      '--no-progress',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const blobGets = proxy.log.filter((l) => l.method === 'GET' && blob.test(l.path));
    expect(blobGets.map((l) => l.outcome)).toEqual(['drop', 'ignore-range', 'ignore-range']);
    expect(String(blobGets[1]?.headers.range)).toMatch(/^bytes=[1-9]\d*-$/);
    expect(blobGets[2]?.headers.range).toBeUndefined();
    expect((await run(['bundle', 'verify', join(dir, 'b.tar')])).code).toBe(0);
  });
});

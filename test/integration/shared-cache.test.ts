import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes } from '../helpers/images.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** One `bin/ferry` child process, started after `delayMs`; `started` receives it (to kill it). */
function ferryLater(args: string[], delayMs: number, started: (c: ChildProcess) => void = () => {}): Promise<Ran> {
  return new Promise((resolve) => {
    setTimeout(() => {
      const child = spawn(process.execPath, ['bin/ferry', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      started(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      child.stderr.on('data', (d) => (stderr += String(d)));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    }, delayMs);
  });
}

/** Every file under the cache's blob directory, with whether its bytes hash to its name. */
function cacheProblems(cache: string): string[] {
  const dir = join(cache, 'blobs', 'sha256');
  return readdirSync(dir).filter((name) => hex(readFileSync(join(dir, name))) !== name);
}

describe.runIf(ok)('concurrent pulls sharing one cache', () => {
  let reg: TestRegistry;
  let host: FileHost;
  const big = seededBytes('shared-cache-big', 6 << 20);
  const mid = seededBytes('shared-cache-mid', 2 << 20);

  beforeAll(async () => {
    reg = await startRegistry();
    await seedStandardFixtures(reg, await buildStandardFixtures());
    host = await startFileHost({ '/f/big.bin': big, '/f/mid.bin': mid });
  });
  afterAll(async () => {
    await reg?.stop();
    await host?.stop();
  });

  const body = () => `  images:
    - alpine:3.19
    - velero/velero:v1.9.1
    - busybox:1.36
    - team/app-a:1
    - team/app-b:1
  files:
    - url: https://files.example/f/big.bin
      sha256: ${hex(big)}
    - url: https://files.example/f/mid.bin
      sha256: ${hex(mid)}
`;

  for (const writers of [2, 4]) {
    it(`${writers} pulls at once, three rounds with random staggers: all succeed, identical bundles, only verified blobs`, async () => {
      const dir = scratch('ferry-shared-');
      const manifest = writeManifest(dir, body());
      for (let round = 0; round < 3; round++) {
        const cache = join(dir, `cache-${round}`);
        const outs = Array.from({ length: writers }, (_, i) => join(dir, `r${round}-w${i}`, 'b.tar'));
        for (const o of outs) mkdirSync(join(o, '..'), { recursive: true });
        const runs = await Promise.all(
          outs.map((o) =>
            ferryLater(
              [
                'bundle',
                'pull',
                manifest,
                '-o',
                o,
                '--cache',
                cache,
                '--mirror',
                `docker.io=${reg.url}`,
                '--mirror',
                `https://files.example/=${host.url}/`,
                '--no-progress',
              ],
              Math.floor(Math.random() * 150),
            ),
          ),
        );
        for (const r of runs) expect(r.stderr, r.stderr).not.toContain('error');
        expect(runs.map((r) => r.code)).toEqual(outs.map(() => 0));
        const first = readFileSync(outs[0] as string);
        for (const o of outs.slice(1)) expect(readFileSync(o).equals(first)).toBe(true);
        expect(cacheProblems(cache)).toEqual([]);
        // Nothing half-written is left behind: every writer renamed or removed its partial.
        for (const sub of ['partial', 'tmp']) if (existsSync(join(cache, sub))) expect(readdirSync(join(cache, sub))).toEqual([]);
      }
    }, 240_000);
  }

  it('a pull killed with SIGKILL mid-download: the others succeed, its partial is left alone while it lives and only it leaves one', async () => {
    // A slow file server (honours Range) so the kill lands mid-body.
    const slowBody = seededBytes('shared-cache-slow', 4 << 20);
    const slow: Server = createServer((req, res) => {
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      res.writeHead(m ? 206 : 200, {
        'content-length': String(slowBody.length - start),
        ...(m ? { 'content-range': `bytes ${start}-${slowBody.length - 1}/${slowBody.length}` } : {}),
      });
      if (req.method === 'HEAD') return void res.end();
      let at = start;
      const tick = setInterval(() => {
        if (at >= slowBody.length || res.destroyed) return void (clearInterval(tick), res.end());
        res.write(slowBody.subarray(at, at + (64 << 10)));
        at += 64 << 10;
      }, 4);
      res.on('close', () => clearInterval(tick));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    try {
      const dir = scratch('ferry-shared-');
      const manifest = writeManifest(dir, `${body()}    - url: https://slow.example/s.bin\n      sha256: ${hex(slowBody)}\n`);
      for (let round = 0; round < 2; round++) {
        const cache = join(dir, `cache-${round}`);
        const args = (o: string) => [
          'bundle',
          'pull',
          manifest,
          '-o',
          o,
          '--cache',
          cache,
          '--mirror',
          `docker.io=${reg.url}`,
          '--mirror',
          `https://files.example/=${host.url}/`,
          '--mirror',
          `https://slow.example/=${slowUrl}/`,
          '--no-progress',
        ];
        const out = (i: number) => join(dir, `k${round}-w${i}`, 'b.tar');
        for (let i = 0; i < 4; i++) mkdirSync(join(out(i), '..'), { recursive: true });
        let victim: ChildProcess | undefined;
        const killed = ferryLater(args(out(0)), 0, (c) => (victim = c));
        const survivor = ferryLater(args(out(1)), Math.floor(Math.random() * 100));
        // Kill it once its partial of the slow file holds some bytes, after a random extra delay.
        const victimPartial = () => {
          try {
            return readdirSync(join(cache, 'partial')).some(
              (n) => n.startsWith(hex(slowBody)) && n.split('.')[2] === String(victim?.pid) && statSync(join(cache, 'partial', n)).size > 0,
            );
          } catch {
            return false;
          }
        };
        // (Should the survivor finish the slow file first, the victim never starts it: then it dies elsewhere.)
        const slowDone = () => existsSync(join(cache, 'blobs', 'sha256', hex(slowBody)));
        for (const t0 = Date.now(); !victimPartial() && !slowDone();) {
          if (Date.now() - t0 > 30_000) throw new Error('the victim never started the slow download');
          await new Promise((r) => setTimeout(r, 10));
        }
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
        victim?.kill('SIGKILL');
        const later = [ferryLater(args(out(2)), 0), ferryLater(args(out(3)), Math.floor(Math.random() * 100))];
        const [k, ...rest] = await Promise.all([killed, survivor, ...later]);
        expect(k?.code).not.toBe(0);
        for (const r of rest) expect(r.stderr, r.stderr).toBe('');
        expect(rest.map((r) => r.code)).toEqual([0, 0, 0]);
        const first = readFileSync(out(1));
        for (const i of [2, 3]) expect(readFileSync(out(i)).equals(first)).toBe(true);
        expect(cacheProblems(cache)).toEqual([]);
        // Whatever scratch file remains is the killed writer's (taken over by the next pull that needs that blob).
        const victimPid = String(victim?.pid);
        for (const sub of ['partial', 'tmp']) {
          if (!existsSync(join(cache, sub))) continue;
          for (const n of readdirSync(join(cache, sub))) expect(n.split('.')[2], `${sub}/${n}`).toBe(victimPid);
        }
      }
    } finally {
      await new Promise((r) => (slow.closeAllConnections(), slow.close(r)));
    }
  }, 240_000);
});

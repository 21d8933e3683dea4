import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
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

/** One `bin/ferry` child process, started after `delayMs`. */
function ferryLater(args: string[], delayMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    setTimeout(() => {
      const child = spawn('./bin/ferry', args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
              ['bundle', 'pull', manifest, '-o', o, '--cache', cache, '--mirror', `docker.io=${reg.url}`, '--mirror', `https://files.example/=${host.url}/`, '--no-progress'],
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
});

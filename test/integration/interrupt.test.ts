import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFileHost } from '../helpers/file-host.js';
import { seededBytes } from '../helpers/images.js';
import { buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { type FerryChild, interrupt, ls, sizeOf, spawnFerry, startSilentServer, until } from '../helpers/ferry-child.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * What every interrupted command must show: the signal's exit code within 2 s, one line on stderr, no stack. Warnings
 * printed before the signal (an unsigned bundle: the signature is checked first) are the command's, not the abort's.
 */
function expectInterrupted(r: Awaited<ReturnType<typeof interrupt>>, code: number) {
  const stderr = r.stderr.replace(/^warning: the bundle is unsigned.*\n/, '');
  expect({ code: r.code, signal: r.signal, stderr }).toEqual({ code, signal: null, stderr: 'ferry: interrupted\n' });
  expect(r.ms).toBeLessThan(2000);
}

const withoutNoVerifyWarning = (s: string) => s.replace(/^warning: --no-verify: .*\n/, '');

/** Nothing at the output path that looks finished: no bundle, no lock, no parts list, no temporary file. */
function expectNoOutput(dir: string) {
  expect(ls(dir).filter((n) => n !== 'cache')).toEqual([]);
}

describe('SIGINT and SIGTERM end every phase within 2 s (exit 130 / 143, "ferry: interrupted")', () => {
  it('during resolve, against a registry that never answers', async () => {
    const silent = await startSilentServer();
    try {
      for (const [sig, code, json] of [
        ['SIGINT', 130, false],
        ['SIGTERM', 143, false],
        ['SIGTERM', 143, true],
      ] as const) {
        const dir = scratch();
        const m = writeManifest(dir, '  images:\n    - alpine:3.19\n');
        const child = spawnFerry([
          'bundle',
          'pull',
          m,
          '-o',
          join(dir, 'out', 'b.tar'),
          '--cache',
          join(dir, 'cache'),
          '--mirror',
          `docker.io=${silent.url}`,
          json ? '--json' : '--no-progress',
        ]);
        const before = silent.connections;
        await until(() => silent.connections > before, 'the resolve request', child);
        const r = await interrupt(child, sig);
        expectInterrupted(r, code);
        if (json)
          expect(JSON.parse(r.stdout)).toEqual({
            ok: false,
            error: { code: 'INTERRUPTED', message: 'interrupted by SIGTERM', details: { signal: 'SIGTERM' } },
          });
        else expect(r.stdout).toBe('');
        expectNoOutput(join(dir, 'out'));
      }
    } finally {
      await silent.stop();
    }
  });

  describe('a step that does not listen to the signal (reading a manifest from a FIFO nobody writes to)', () => {
    /** ferry blocked in loadManifest: the test holds the FIFO's write end open and writes nothing. */
    async function blocked(): Promise<{ child: FerryChild; release(): void }> {
      const dir = scratch();
      const fifo = join(dir, 'bundle.yaml');
      execFileSync('mkfifo', [fifo]);
      const child = spawnFerry(['bundle', 'pull', fifo, '-o', join(dir, 'out', 'b.tar'), '--cache', join(dir, 'cache'), '--no-progress']);
      let fd = -1;
      // Opening the write end without blocking succeeds only once ferry has the read end open.
      await until(
        () => {
          try {
            fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
            return true;
          } catch {
            return false;
          }
        },
        'ferry to open the manifest',
        child,
      );
      return { child, release: () => closeSync(fd) };
    }

    it('still ends after the 1 s grace, with the same single line', async () => {
      const { child, release } = await blocked();
      try {
        const r = await interrupt(child, 'SIGTERM');
        // Past the grace ferry ends by the signal itself (a thread stuck in that read would hold up process.exit).
        expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({
          code: null,
          signal: 'SIGTERM',
          stderr: 'ferry: interrupted\n',
        });
        expect(r.ms).toBeGreaterThanOrEqual(900);
        expect(r.ms).toBeLessThan(2000);
      } finally {
        release();
      }
    });

    it('a second Ctrl-C exits at once', async () => {
      const { child, release } = await blocked();
      try {
        const r = await interrupt(child, 'SIGINT', 100);
        expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({
          code: null,
          signal: 'SIGINT',
          stderr: 'ferry: interrupted\n',
        });
        expect(r.ms).toBeLessThan(600);
      } finally {
        release();
      }
    });
  });

  describe('while downloading and writing', () => {
    const slow = seededBytes('interrupt-slow', 6 << 20);
    let dir: string;
    let manifest: string;

    beforeAll(() => {
      dir = scratch();
    });

    it('during a download: nothing at -o, the partial download stays in the cache, and a re-run resumes from it', async () => {
      const host = await startFileHost({ '/slow.bin': slow });
      host.stall.set('/slow.bin', 2 << 20);
      try {
        manifest = writeManifest(dir, `  files:\n    - url: ${host.url}/slow.bin\n      sha256: ${hex(slow)}\n`);
        const out = join(dir, 'out', 'b.tar');
        // Each writer downloads into a file of its own, partial/<hex>.<host>.<pid>.<random> (src/store/writers.ts).
        const partialDir = join(dir, 'cache', 'partial');
        const partialSize = () =>
          ls(partialDir)
            .filter((n) => n.startsWith(hex(slow)))
            .reduce((n, f) => n + sizeOf(join(partialDir, f)), 0);
        const child = spawnFerry(['bundle', 'pull', manifest, '-o', out, '--cache', join(dir, 'cache'), '--no-progress']);
        await until(() => partialSize() >= 2 << 20, 'the first 2 MiB in the cache', child);
        expectInterrupted(await interrupt(child, 'SIGTERM'), 143);
        expectNoOutput(join(dir, 'out'));
        expect(partialSize()).toBe(2 << 20);

        host.stall.delete('/slow.bin');
        const again = spawnFerry(['bundle', 'pull', manifest, '-o', out, '--cache', join(dir, 'cache'), '--no-progress']);
        expect((await again.exited).code, again.stderr()).toBe(0);
        expect(host.ranges()).toContain(`bytes=${2 << 20}-`);
        expect(ls(join(dir, 'out'))).toEqual(['b.tar', 'b.tar.lock.json']);
      } finally {
        await host.stop();
      }
    });
  });

  describe('on the enclave side', () => {
    const big = seededBytes('interrupt-big', 192 << 20);
    let dir: string;
    let bundle: string;
    let manifest: string;
    let lock: string;

    beforeAll(async () => {
      const host = await startFileHost({ '/big.bin': big });
      dir = scratch();
      try {
        manifest = writeManifest(dir, `  files:\n    - url: ${host.url}/big.bin\n      sha256: ${hex(big)}\n`);
        const { result } = await pull(manifest, join(dir, 'b.tar'), []);
        bundle = result.bundle;
        lock = result.lockPath;
      } finally {
        await host.stop();
      }
    });

    it('while the bundle file is being written (from the cache): no bundle and no lock appear; the partial bundle and its journal stay, and a re-run completes it', async () => {
      const out = join(dir, 'again');
      const child = spawnFerry([
        'bundle',
        'pull',
        manifest,
        '--lock',
        lock,
        '-o',
        join(out, 'b.tar'),
        '--cache',
        join(dir, 'cache'),
        '--no-progress',
      ]);
      await until(() => ls(out).some((n) => n.startsWith('b.tar.partial-') && sizeOf(join(out, n)) > 0), 'the bundle being written', child);
      expectInterrupted(await interrupt(child, 'SIGINT'), 130);
      // The resume state (docs/bundle-format.md "Resume"), under temporary names only.
      expect(
        ls(out)
          .map((n) => n.replace(/\.partial-.*$/, '.partial-*'))
          .sort(),
      ).toEqual(['b.tar.journal.partial-*', 'b.tar.partial-*']);
      const again = spawnFerry(['bundle', 'pull', manifest, '--lock', lock, '-o', join(out, 'b.tar'), '--cache', join(dir, 'cache')]);
      const done = await again.exited;
      expect(done.code, again.stderr()).toBe(0);
      expect(again.stderr()).toContain('resuming the partial bundle');
      expect(ls(out)).toEqual(['b.tar', 'b.tar.lock.json']);
      expect(hex(readFileSync(join(out, 'b.tar')))).toBe(hex(readFileSync(bundle)));
    });

    it('during verify', async () => {
      const child = spawnFerry(['bundle', 'verify', bundle]);
      await until(() => child.stderr().includes('verify'), 'verify to start', child);
      const r = await interrupt(child, 'SIGINT');
      expectInterrupted({ ...r, stderr: r.stderr.replace(/^verify: .*\n/, '') }, 130);
    });

    it('during stage: no staged file and no temporary file stay behind', async () => {
      const staged = scratch();
      const child = spawnFerry(['bundle', 'stage', bundle, '--dir', staged, '--no-verify', '--no-progress']);
      await until(() => ls(join(staged, 'files')).some((n) => n.includes('.partial-')), 'the copy to start', child);
      const r = await interrupt(child, 'SIGTERM');
      expectInterrupted({ ...r, stderr: withoutNoVerifyWarning(r.stderr) }, 143);
      expect(ls(join(staged, 'files'))).toEqual([]);
    });
  });
});

const haveRegistry = requireTools('docker-registry');

describe.runIf(haveRegistry)('SIGINT during push', () => {
  let up: TestRegistry;
  afterAll(async () => up?.stop());

  it('stops the uploads to a registry that stops answering: exit 130 within 2 s', async () => {
    up = await startRegistry();
    const f = await buildStandardFixtures();
    await seedStandardFixtures(up, f);
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, '  images:\n    - alpine:3.19\n'), join(dir, 'b.tar'), [['docker.io', up.url]]);
    const silent = await startSilentServer();
    try {
      const host = new URL(silent.url).host;
      const child: FerryChild = spawnFerry([
        'bundle',
        'push',
        result.bundle,
        '--registry',
        host,
        '--plain-http',
        '--no-verify',
        '--no-progress',
      ]);
      await until(() => silent.connections > 0, 'the first request to the registry', child);
      const r = await interrupt(child, 'SIGINT');
      expectInterrupted({ ...r, stderr: withoutNoVerifyWarning(r.stderr) }, 130);
      expect(existsSync(result.bundle)).toBe(true);
    } finally {
      await silent.stop();
    }
  });
});

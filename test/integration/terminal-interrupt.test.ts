import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeImage, makeLayer, seed, seededBytes } from '../helpers/images.js';
import { ls, sizeOf, until } from '../helpers/ferry-child.js';
import { startFileHost } from '../helpers/file-host.js';
import { openPty } from '../helpers/pty.js';
import { startRegistry } from '../helpers/registry.js';
import { startThrottleProxy } from '../helpers/throttle-proxy.js';
import { requireTools } from '../helpers/tools.js';
import { scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('tmux');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.runIf(ok)('Ctrl-C during a pull on a real terminal', () => {
  it('exits 130 within 2 s with one line, restores the cursor, leaves no bundle and no lock, and the re-run resumes', async () => {
    const slow = seededBytes('pty-interrupt', 8 << 20);
    const host = await startFileHost({ '/slow.bin': slow });
    host.stall.set('/slow.bin', 3 << 20); // sends 3 MiB, then holds the connection open
    const dir = scratch();
    const manifest = writeManifest(dir, `  files:\n    - url: ${host.url}/slow.bin\n      sha256: ${hex(slow)}\n`);
    const out = join(dir, 'out');
    const partialDir = join(dir, 'cache', 'partial');
    const partial = () => ls(partialDir).reduce((n, f) => n + Math.max(sizeOf(join(partialDir, f)), 0), 0);
    const cmd = `./bin/ferry bundle pull ${manifest} -o ${join(out, 'b.tar')} --cache ${join(dir, 'cache')}`;
    const pty = openPty(cmd);
    try {
      await until(() => partial() >= 3 << 20, 'the first 3 MiB in the cache');
      await pty.waitFor(/fetch/); // the progress line is up
      const typed = Date.now();
      pty.keys('C-c');
      const exit = await pty.exited(10_000);
      expect(exit.code).toBe(130);
      expect(exit.at - typed, 'exit after Ctrl-C (ms)').toBeLessThan(2_000);
      const screen = pty.screen();
      expect(screen.split('\n').filter((l) => l.includes('ferry:'))).toEqual(['ferry: interrupted']);
      expect(screen).not.toMatch(/at .*\.js:\d+|Error:/); // no stack trace
      const raw = pty.raw();
      expect(raw.lastIndexOf('\x1b[?25h'), 'cursor shown again after the last hide').toBeGreaterThan(raw.lastIndexOf('\x1b[?25l'));
      expect(ls(out), 'nothing at -o looks finished').toEqual([]);
      expect(partial(), 'the partial download stays for the next run').toBe(3 << 20);
    } finally {
      pty.close();
    }

    host.stall.delete('/slow.bin');
    const again = openPty(cmd);
    try {
      const exit = await again.exited(30_000);
      expect(exit.code, again.screen()).toBe(0);
      expect(host.ranges()).toContain(`bytes=${3 << 20}-`);
      expect(ls(out)).toEqual(['b.tar', 'b.tar.lock.json']);
    } finally {
      again.close();
      await host.stop();
    }
  });
});

describe.runIf(ok && requireTools('docker-registry'))('Ctrl-C during a pull of images on a real terminal', () => {
  it('stops every blob download: exit 130 within 2 s, one "ferry: interrupted" line and no retry, nothing at -o', async () => {
    const reg = await startRegistry();
    const layers = await Promise.all(['pty-img-a', 'pty-img-b'].map((s) => makeLayer({ seed: s, size: 12 << 20 })));
    await seed(reg, 'team/big', '1', makeImage({ layers }));
    const link = await startThrottleProxy(reg.host, 2 << 20); // two blobs downloading at once, for seconds
    const dir = scratch();
    const manifest = writeManifest(dir, `  images: [${link.host}/team/big:1]\n`);
    const out = join(dir, 'out');
    // Image blobs go straight into the partial bundle, created at its final size (sparse): the bytes written are its
    // allocated blocks beyond the headers'.
    const partial = () => ls(out).find((n) => /^b\.tar\.partial-/.test(n));
    const allocated = () => {
      const p = partial();
      return p ? statSync(join(out, p)).blocks * 512 : 0;
    };
    const pty = openPty(`./bin/ferry bundle pull ${manifest} -o ${join(out, 'b.tar')} --cache ${join(dir, 'cache')} --plain-http`);
    try {
      await until(() => allocated() >= 2 << 20, 'both layers downloading into the bundle');
      await pty.waitFor(/fetch/);
      const typed = Date.now();
      pty.keys('C-c');
      const exit = await pty.exited(10_000);
      expect(exit.code).toBe(130);
      expect(exit.at - typed, 'exit after Ctrl-C (ms)').toBeLessThan(2_000);
      const lines = pty
        .screen()
        .split('\n')
        .filter((l) => l.trim() !== '');
      expect(
        lines.filter((l) => l.includes('ferry:')),
        pty.screen(),
      ).toEqual(['ferry: interrupted']);
      // An aborted download is not a broken connection: no "retry … interrupted by SIGINT" line, no second attempt.
      expect(
        lines.filter((l) => /retry|interrupted by/.test(l)),
        pty.screen(),
      ).toEqual([]);
      expect(
        ls(out)
          .map((n) => n.replace(/\.partial-.*$/, '.partial-*'))
          .sort(),
        'nothing at -o looks finished; the partial bundle and its journal stay for the next run',
      ).toEqual(['b.tar.journal.partial-*', 'b.tar.partial-*']);
    } finally {
      pty.close();
      await link.stop();
      await reg.stop();
    }
  });
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, makeLayer, seed } from '../helpers/images.js';
import { openPty } from '../helpers/pty.js';
import { type TestRegistry, freePort, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('tmux', 'docker-registry', 'htpasswd');

const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';
const WRAP_OFF = '\x1b[?7l';
const WRAP_ON = '\x1b[?7h';

/**
 * The four error cases of issue 12 on a real terminal (160×40, the progress bar up when the error comes): the process
 * exits within 2 s of the error, the whole message is on the screen on its own line (not glued to the bar, not cut at
 * the edge with autowrap off), and the last thing the bar left, cursor hidden and wrap off, is undone before it.
 */
async function onTerminal(command: string, code: string, message: RegExp, bar = true): Promise<void> {
  const pty = openPty(command, { cols: 160, rows: 40 });
  try {
    await pty.waitFor(/ferry: error/, 60_000);
    const seen = Date.now();
    const exit = await pty.exited(5_000);
    expect(exit.code).not.toBe(0);
    expect(exit.at - seen, 'exit after the error appeared').toBeLessThan(2_000);
    const screen = pty.screen();
    const lines = screen.split('\n').filter((l) => l.includes('ferry: error'));
    expect(lines, screen).toHaveLength(1);
    const line = lines[0] as string;
    expect(line.startsWith(`ferry: error [${code}]: `), `on its own line:\n${screen}`).toBe(true);
    expect(line.length, 'longer than the screen is wide, so wrapping is tested').toBeGreaterThan(160);
    expect(line.slice(`ferry: error [${code}]: `.length), screen).toMatch(message);
    const raw = pty.raw();
    const lastBarState = Math.max(raw.lastIndexOf(HIDE), raw.lastIndexOf(WRAP_OFF));
    const errorAt = raw.lastIndexOf('ferry: error');
    // A command that fails before its first phase (a bundle that is not there) never draws a bar: nothing to restore.
    if (bar) {
      expect(lastBarState, 'the progress bar was up').toBeGreaterThan(-1);
      expect(raw.lastIndexOf(SHOW)).toBeGreaterThan(lastBarState);
      expect(raw.lastIndexOf(WRAP_ON)).toBeGreaterThan(lastBarState);
    } else expect(lastBarState, 'no bar was drawn').toBe(-1);
    expect(errorAt, 'no bar drawn after the error').toBeGreaterThan(lastBarState);
    expect(raw.slice(errorAt).includes('\x1b['), 'nothing drawn after the error').toBe(false);
  } finally {
    pty.close();
  }
}

describe.runIf(ok)('errors on a real terminal: prompt exit, whole message, cursor and wrap restored', () => {
  let source: TestRegistry;
  let locked: TestRegistry;
  let dir: string;
  let bundle: string;
  // Long names make every message wider than the screen.
  const repo = 'team/a-repository-with-a-rather-long-name-so-that-the-error-line-runs-past-the-right-edge';

  beforeAll(async () => {
    dir = scratch('ferry-tty-');
    [source, locked] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { username: 'ferry', password: 'right-pw' } })]);
    await seed(source, repo, '1', makeImage({ layers: [await makeLayer({ seed: 'tty-errors', size: 300_000, gzip: true })] }));
    const m = writeManifest(dir, `  images: [${source.host}/${repo}:1]\n`, 'tty');
    bundle = join(dir, 'b.tar');
    const r = await run(['bundle', 'pull', m, '-o', bundle, '--cache', join(dir, 'cache'), '--plain-http', '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => Promise.all([source?.stop(), locked?.stop()]));

  it('a missing tag on pull', async () => {
    mkdirSync(join(dir, 'missing'), { recursive: true });
    writeManifest(join(dir, 'missing'), `  images: [${source.host}/${repo}:1, ${source.host}/${repo}:no-such-tag]\n`, 'tty');
    await onTerminal(
      `./bin/ferry bundle pull ${join(dir, 'missing', 'bundle.yaml')} -o ${join(dir, 'missing', 'b.tar')} --cache ${join(dir, 'cache')} --plain-http`,
      'NOT_FOUND',
      new RegExp(`^${source.host}/${repo}:no-such-tag not found: HTTP 404 MANIFEST_UNKNOWN: manifest unknown.*\\}\\)$`),
    );
  });

  it('a wrong password on push', async () => {
    await onTerminal(
      `sh -c "printf 'wrong-pw\\n' | ./bin/ferry bundle push ${bundle} --registry http://${locked.host}/${'an-enclave-prefix/'.repeat(3)}x --username ferry --password-stdin"`,
      'AUTH_FAILED',
      /: the registry rejected the credentials \(HTTP 401\)$/,
    );
  });

  it('a bundle path that does not exist', async () => {
    const path = join(dir, `${'a-directory-that-is-not-there/'.repeat(5)}bundle.tar`);
    await onTerminal(
      `./bin/ferry bundle verify ${path}`,
      'NOT_FOUND',
      new RegExp(`^bundle ${path} does not exist: check the path \\(ENOENT\\)$`),
      false,
    );
  });

  it('a registry that is down', async () => {
    const host = `127.0.0.1:${await freePort()}`;
    await onTerminal(
      `./bin/ferry bundle push ${bundle} --registry http://${host}/${'an-enclave-prefix/'.repeat(3)}x`,
      'NETWORK_ERROR',
      new RegExp(
        `: nothing answers at ${host} \\(connection refused\\): check the host and port, and that the server is running \\(5 attempts\\)$`,
      ),
    );
  });
});

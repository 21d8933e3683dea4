import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHelm, withHelmHome } from '../../../src/kinds/chart/render/run-helm.js';

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

/** A stand-in for the helm binary: a shell script, to see what the runner does with a process that misbehaves. */
function script(body: string): string {
  const path = join(tempDir('ferry-run-helm-'), 'helm');
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

describe('runHelm', () => {
  it('runs in a private home that is removed afterwards, with none of the caller’s environment but PATH', async () => {
    process.env.FERRY_TEST_SECRET = 'token-123';
    let home = '';
    try {
      const out = await withHelmHome(async (dir) => {
        home = dir;
        return runHelm(script('env; pwd'), [], { home: dir, timeoutMs: 10_000, maxStdout: 1 << 20 });
      });
      const text = out.stdout.toString();
      expect(out.code).toBe(0);
      expect(text).not.toContain('token-123');
      expect(text).toContain(`HELM_CACHE_HOME=${join(home, 'cache')}`);
      expect(text).toContain(`HELM_CONFIG_HOME=${join(home, 'config')}`);
      expect(text).toContain(`HELM_DATA_HOME=${join(home, 'data')}`);
      expect(text).toContain(`HOME=${home}\n`);
      expect(text.trim().split('\n').pop()).toBe(home);
    } finally {
      delete process.env.FERRY_TEST_SECRET;
    }
    expect(existsSync(home)).toBe(false);
    // Removed when the work inside fails, too.
    await expect(
      withHelmHome(async (dir) => {
        home = dir;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(home)).toBe(false);
  });

  it('stops a Helm that prints past the cap, one that runs past the timeout, and one the pull aborts', async () => {
    const home = tempDir('ferry-run-helm-home-');
    const flood = await runHelm(script('yes ferry'), [], { home, timeoutMs: 10_000, maxStdout: 1 << 20 });
    expect(flood.stopped).toBe('too much output');
    expect(flood.stdout.length).toBeLessThanOrEqual(1 << 20);

    const slow = await runHelm(script('sleep 30'), [], { home, timeoutMs: 200, maxStdout: 1 << 20 });
    expect(slow.stopped).toBe('timeout');

    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(new Error('interrupted')), 100);
    await expect(runHelm(script('sleep 30'), [], { home, signal: stop.signal, timeoutMs: 60_000, maxStdout: 1 << 20 })).rejects.toThrow(
      'interrupted',
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects with the reason a program cannot start', async () => {
    const home = tempDir('ferry-run-helm-home-');
    await expect(runHelm('/nonexistent/helm', [], { home, timeoutMs: 1000, maxStdout: 1 })).rejects.toMatchObject({ code: 'ENOENT' });
    const notExecutable = join(home, 'helm');
    writeFileSync(notExecutable, 'not a program', { mode: 0o644 });
    await expect(runHelm(notExecutable, [], { home, timeoutMs: 1000, maxStdout: 1 })).rejects.toMatchObject({ code: 'EACCES' });
  });
});

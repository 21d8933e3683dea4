import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCleanups, trackChild } from '../helpers/cleanup.js';
import { seededBytes } from '../helpers/images.js';
import { freePort } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('python3');

/**
 * Python's http.server speaks HTTP/1.0 and closes the connection after each response, which makes undici 7 abort the
 * process (nodejs/undici#5360) when the close comes while the download is paused behind the disk; without
 * src/registry/paused-end-guard.ts this test failed in CI, and in one run of fifteen here. Three pulls of a large file
 * through it must all succeed. (test/integration/paused-end-guard.test.ts hits the race every time, on purpose.)
 */
describe.runIf(ok)('a mirror that closes the connection after each response', () => {
  let url: string;
  const body = seededBytes('closing-server', 200 << 20);
  const dir = scratch();

  beforeAll(async () => {
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'big.bin'), body);
    const port = await freePort();
    trackChild(
      spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', join(dir, 'www')], { stdio: 'ignore' }),
    );
    url = `http://127.0.0.1:${port}/big.bin`;
    for (let i = 0; i < 50; i++) {
      if ((await fetch(url, { method: 'HEAD' }).catch(() => undefined))?.ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('python3 -m http.server did not start');
  });
  afterAll(runCleanups); // stops the server and waits for its exit

  it('three pulls of a 200 MiB file all complete', async () => {
    const m = writeManifest(dir, `  files:\n    - url: ${url}\n      sha256: ${createHash('sha256').update(body).digest('hex')}\n`);
    for (let i = 0; i < 3; i++) {
      const r = await run(['--no-progress', 'bundle', 'pull', m, '-o', join(dir, `out${i}`, 'b.tar'), '--cache', join(dir, `cache${i}`)]);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 120_000);
});

import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes } from '../helpers/images.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { sizeOf, spawnFerry, until } from '../helpers/ferry-child.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every path under `dir` (relative), directories included. */
const tree = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).sort();

describe('bundle stage after a stage killed with SIGKILL (docs/security.md "Outputs")', () => {
  const big = seededBytes('stage-partials-big', 192 << 20);
  let host: FileHost;
  let bundle: string;

  beforeAll(async () => {
    host = await startFileHost({ '/big.bin': big, '/small.txt': 'small\n' });
    const dir = scratch();
    const manifest = writeManifest(
      dir,
      `  files:\n    - url: ${host.url}/big.bin\n      sha256: ${hex(big)}\n    - url: ${host.url}/small.txt\n      sha256: ${hex(Buffer.from('small\n'))}\n`,
    );
    bundle = (await pull(manifest, join(dir, 'b.tar'), [])).result.bundle;
  }, 120_000);
  afterAll(async () => host?.stop());

  it('removes the temporary files the killed run left in --dir; none remains anywhere under it', async () => {
    const staged = scratch('ferry-stage-partials-');
    const child = spawnFerry(['bundle', 'stage', bundle, '--dir', staged, '--no-verify', '--no-progress']);
    const partial = () => tree(staged).find((n) => n.includes('.partial-'));
    await until(() => partial() !== undefined && sizeOf(join(staged, partial() as string)) > 0, 'the copy of big.bin to start', child);
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    // A kill -9 runs no cleanup: the temporary file stays (what the next run must deal with).
    expect(tree(staged).filter((n) => n.includes('.partial-')).length).toBeGreaterThan(0);

    const again = await run(['bundle', 'stage', bundle, '--dir', staged, '--no-verify']);
    expect(again.code).toBe(0);
    expect(tree(staged).filter((n) => n.includes('.partial-'))).toEqual([]);
    expect(tree(staged)).toEqual(['files', join('files', 'SHA256SUMS'), join('files', 'big.bin'), join('files', 'small.txt')]);
    expect(again.stderr).toMatch(/removed 1 temporary file.* an interrupted earlier run left/);
  });
});

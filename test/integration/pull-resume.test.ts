import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ls, spawnFerry, until } from '../helpers/ferry-child.js';
import { makeImage, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.runIf(requireTools('docker-registry'))('a pull killed (SIGKILL) at random points resumes to the identical bundle', () => {
  let up: TestRegistry;
  const dir = scratch();
  let manifest: string;

  beforeAll(async () => {
    up = await startRegistry();
    const layers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => makeLayer({ seed: `resume-${i}`, size: 4 << 20, gzip: false })));
    await seed(up, 'team/big', '1', makeImage({ layers }));
    manifest = writeManifest(dir, '  images:\n    - team/big:1\n');
  }, 60_000);
  afterAll(async () => {
    await up?.stop();
  });

  it('three kills, then a run to the end: same bytes as an uninterrupted pull, nothing left beside it', async () => {
    const reference = (await pull(manifest, join(dir, 'ref', 'b.tar'), [['docker.io', up.url]])).result;
    const out = join(dir, 'out');
    const args = ['bundle', 'pull', manifest, '--lock', reference.lockPath, '-o', join(out, 'b.tar'), '--mirror', `docker.io=${up.url}`];
    const cache = ['--cache', join(dir, 'cache'), '--no-progress'];
    for (let i = 0; i < 3; i++) {
      const child = spawnFerry([...args, ...cache]);
      await until(() => ls(out).some((n) => n.startsWith('b.tar.partial-')), 'the partial bundle', child);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      child.proc.kill('SIGKILL');
      await child.exited;
      // Killed before or after the end: a finished bundle only ever appears whole (the rename is last).
      if (ls(out).includes('b.tar')) expect(sha(join(out, 'b.tar'))).toBe(sha(reference.bundle));
    }
    const last = spawnFerry([...args, ...cache, '--json']);
    const done = await last.exited;
    expect(done.code, last.stderr()).toBe(0);
    expect(sha(join(out, 'b.tar'))).toBe(sha(reference.bundle));
    expect(ls(out).sort()).toEqual(['b.tar', 'b.tar.lock.json']);
  }, 120_000);
});

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { makeImage, makeLayer, seed, seededBytes } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry');

describe.runIf(ok)('pull, inspect, audit, push and stage count the same bundle the same way', () => {
  let up: TestRegistry;
  let files: FileHost;
  const dir = scratch();
  const bundle = join(dir, 'out', 'b.tar');
  const a = seededBytes('counts-a', 1000);
  const b = seededBytes('counts-b', 2000);
  const sha = (x: Buffer) => createHash('sha256').update(x).digest('hex');

  beforeAll(async () => {
    up = await startRegistry();
    for (const [repo, s] of [
      ['team/one', 'c1'],
      ['team/two', 'c2'],
    ] as const)
      await seed(up, repo, '1', makeImage({ layers: [await makeLayer({ seed: s, size: 3000 })] }));
    files = await startFileHost({ '/a.bin': a, '/b.bin': b });
  });
  afterAll(async () => {
    await files?.stop();
    await up?.stop();
  });

  it('every command says "2 images, 2 files" and --json carries the same counts', async () => {
    const m = writeManifest(
      dir,
      `  images:\n    - team/one:1\n    - team/two:1\n  files:\n    - url: ${files.url}/a.bin\n      sha256: ${sha(a)}\n    - url: ${files.url}/b.bin\n      sha256: ${sha(b)}\n`,
    );
    const expected = { images: 2, charts: 0, files: 2, rke2Files: 0, aptPackages: 0 };
    const pull = ['bundle', 'pull', m, '-o', bundle, '--cache', join(dir, 'cache'), '--mirror', `docker.io=${up.url}`];
    const human = {
      pull: await run([...pull, '--no-progress']),
      inspect: await run(['bundle', 'inspect', bundle]),
      audit: await run(['bundle', 'audit', bundle, '-o', join(dir, 'r.json'), '--no-progress']),
      push: await run(['bundle', 'push', bundle, '--registry', up.host, '--dry-run']),
      stage: await run(['bundle', 'stage', bundle, '--dir', join(dir, 'staged'), '--no-progress']),
    };
    for (const [cmd, r] of Object.entries(human)) {
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
      expect(r.stdout.split('\n')[0], cmd).toContain('2 images, 2 files');
    }
    const json = {
      pull: await run([...pull, '--json']),
      inspect: await run(['bundle', 'inspect', bundle, '--json']),
      push: await run(['bundle', 'push', bundle, '--registry', up.host, '--dry-run', '--json']),
      stage: await run(['bundle', 'stage', bundle, '--dir', join(dir, 'staged2'), '--json']),
    };
    for (const [cmd, r] of Object.entries(json)) expect(JSON.parse(r.stdout).counts, cmd).toEqual(expected);
  });
});

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { makeImage, makeLayer, seed, seededBytes } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry');

/** Runs the built CLI with every module it loads written to a file; returns the exit code and the loaded URLs. */
function traced(args: string[], trace: string): Promise<{ code: number; stderr: string; modules: string[] }> {
  return new Promise((done) => {
    const env = { ...process.env, FERRY_MODULE_TRACE: trace };
    execFile(
      process.execPath,
      ['--import', resolve('test/helpers/module-trace.mjs'), 'bin/ferry', ...args],
      { env },
      (err, _out, stderr) => {
        let modules: string[] = [];
        try {
          modules = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
        } catch {
          // no module loaded at all: the assertions below say so
        }
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr, modules });
      },
    );
  });
}

const loads = (modules: string[], pkg: string) => modules.some((u) => u.includes(`/node_modules/${pkg}/`));

describe.runIf(ok)('the enclave commands load only what the bundle needs (kinds load their connected side lazily)', () => {
  let up: TestRegistry;
  let files: FileHost;
  const dir = scratch();
  const bundle = join(dir, 'b.tar');
  const body = seededBytes('lazy-file', 4000);

  beforeAll(async () => {
    up = await startRegistry();
    await seed(up, 'team/one', '1', makeImage({ layers: [await makeLayer({ seed: 'lazy', size: 3000 })] }));
    files = await startFileHost({ '/a.bin': body });
    const m = writeManifest(
      dir,
      `  images:\n    - team/one:1\n  files:\n    - url: ${files.url}/a.bin\n      sha256: ${createHash('sha256').update(body).digest('hex')}\n`,
    );
    const pulled = await run([
      'bundle',
      'pull',
      m,
      '-o',
      bundle,
      '--cache',
      join(dir, 'cache'),
      '--mirror',
      `docker.io=${up.url}`,
      '--no-progress',
    ]);
    expect(pulled.code, pulled.stderr).toBe(0);
  });
  afterAll(async () => {
    await files?.stop();
    await up?.stop();
  });

  it('verify, inspect and stage of an image-and-file bundle load neither the HTTP stack nor openpgp', async () => {
    for (const [name, args] of [
      ['verify', ['bundle', 'verify', bundle]],
      ['inspect', ['bundle', 'inspect', bundle]],
      ['stage', ['bundle', 'stage', bundle, '--dir', join(dir, 'staged'), '--no-progress']],
    ] as const) {
      const r = await traced([...args], join(dir, `${name}.trace`));
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      // The trace works: the CLI's own modules are in it.
      expect(
        r.modules.some((u) => u.endsWith('/dist/cli/main.js')),
        name,
      ).toBe(true);
      expect(loads(r.modules, 'undici'), `${name} loaded undici`).toBe(false);
      expect(loads(r.modules, 'openpgp'), `${name} loaded openpgp`).toBe(false);
      expect(
        r.modules.some((u) => /\/dist\/kinds\/[a-z0-9]+\/source\.js$/.test(u)),
        `${name} loaded a kind's connected side`,
      ).toBe(false);
    }
  });

  it("push loads the registry client but not openpgp, and pull loads the kinds' connected sides", async () => {
    const push = await traced(
      ['bundle', 'push', bundle, '--registry', `${up.host}/copy`, '--plain-http', '--no-progress'],
      join(dir, 'push.trace'),
    );
    expect(push.code, push.stderr).toBe(0);
    expect(loads(push.modules, 'undici')).toBe(true);
    expect(loads(push.modules, 'openpgp')).toBe(false);
    const m = join(dir, 'bundle.yaml');
    const pull = await traced(
      [
        'bundle',
        'pull',
        m,
        '-o',
        join(dir, 'again.tar'),
        '--cache',
        join(dir, 'cache'),
        '--mirror',
        `docker.io=${up.url}`,
        '--no-progress',
      ],
      join(dir, 'pull.trace'),
    );
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.modules.some((u) => u.endsWith('/dist/kinds/image/source.js'))).toBe(true);
  });
});

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes } from '../helpers/images.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { makeImage, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Passwords with the characters that break naive redaction; each half is long enough to be searched for alone. */
const PASSWORDS = ['Zq7Kx"Wm3Pv', 'Zq7Kx@Wm3Pv', 'Zq7Kx/Wm3Pv', 'Zq7Kx Wm3Pv', '4242/Zq7KxWm3Pv'];

/** Every form a password could leak in: as typed, URL-encoded, JSON-escaped, in a Basic header, and its halves. */
function forms(pw: string): string[] {
  return [
    pw,
    encodeURIComponent(pw),
    encodeURI(pw),
    JSON.stringify(pw).slice(1, -1),
    Buffer.from(`alice:${pw}`).toString('base64'),
    'Zq7Kx',
    'Wm3Pv',
  ];
}

/** Every file under `dir` (bundles, locks, reports, staged files): none may hold a secret either. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
}

describe('credentials in --registry and --mirror never reach an output channel', () => {
  let host: FileHost;
  let bundle: string;
  const payload = seededBytes('secrets-file', 10_000);

  beforeAll(async () => {
    host = await startFileHost({ '/f/a.bin': payload });
    const dir = scratch('ferry-secrets-');
    const manifest = writeManifest(dir, `  files:\n    - url: https://files.example/f/a.bin\n      sha256: ${hex(payload)}\n`);
    bundle = join(dir, 'b.tar');
    const r = await run([
      'bundle',
      'pull',
      manifest,
      '-o',
      bundle,
      '--cache',
      join(dir, 'cache'),
      '--mirror',
      `https://files.example/=${host.url}/`,
      '--no-progress',
    ]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => host?.stop());

  const cases = (pw: string, dir: string): [string, string[]][] => {
    const manifest = writeManifest(dir, '  images:\n    - alpine:3.19\n');
    const cfg = join(dir, 'ferry.yaml');
    writeFileSync(cfg, JSON.stringify({ mirrors: { 'docker.io': `http://alice:${pw}@127.0.0.1:5999` } }));
    const cfgFrom = join(dir, 'ferry-from.yaml');
    writeFileSync(cfgFrom, JSON.stringify({ mirrors: { [`alice:${pw}@127.0.0.1:5999`]: 'http://127.0.0.1:5999' } }));
    const pull = ['bundle', 'pull', manifest, '-o', join(dir, 'out.tar'), '--cache', join(dir, 'cache')];
    return [
      ['mirror TO url', [...pull, '--mirror', `docker.io=http://alice:${pw}@127.0.0.1:5999`]],
      ['mirror TO scheme-less', [...pull, '--mirror', `docker.io=alice:${pw}@127.0.0.1:5999/prefix`]],
      ['mirror FROM', [...pull, '--mirror', `alice:${pw}@127.0.0.1:5999=http://127.0.0.1:5999`]],
      ['mirror URL prefix', [...pull, '--mirror', `https://github.com/=http://alice:${pw}@127.0.0.1:5999/gh/`]],
      ['config TO', [...pull, '--config', cfg]],
      ['config FROM', [...pull, '--config', cfgFrom]],
      ['push scheme-less', ['bundle', 'push', bundle, '--registry', `alice:${pw}@127.0.0.1:5999/prefix`]],
      ['push url', ['bundle', 'push', bundle, '--registry', `http://alice:${pw}@127.0.0.1:5999`]],
      ['audit', ['bundle', 'audit', bundle, '-o', join(dir, 'report.json'), '--registry', `alice:${pw}@127.0.0.1:5999`]],
      ['inventory', ['registry', 'inventory', '--registry', `alice:${pw}@127.0.0.1:5999/p`, '-o', join(dir, 'inv.json')]],
      ['stage', ['bundle', 'stage', bundle, '--dir', join(dir, 'stage'), '--registry', `alice:${pw}@127.0.0.1:5999`]],
      ['login', ['registry', 'login', `alice:${pw}@127.0.0.1:5999`, '-u', 'alice', '--password-stdin']],
      ['login url', ['registry', 'login', `http://alice:${pw}@127.0.0.1:5999`, '-u', 'alice', '--password-stdin']],
      ['logout', ['registry', 'logout', `alice:${pw}@127.0.0.1:5999`]],
    ];
  };

  for (const pw of PASSWORDS) {
    it(`password ${JSON.stringify(pw)}: a usage error that names the fix, and no secret in stdout, stderr, --json or any file`, async () => {
      const dir = scratch('ferry-secrets-');
      for (const [name, args] of cases(pw, dir)) {
        const both = await Promise.all([false, true].map(async (json) => ({ json, r: await run([...(json ? ['--json'] : []), ...args]) })));
        for (const { json, r } of both) {
          const out = `${r.stdout}\n${r.stderr}`;
          for (const f of forms(pw)) expect(out, `${name}${json ? ' --json' : ''}: ${out}`).not.toContain(f);
          expect(r.code, `${name}: ${out}`).toBe(2);
          expect(out, name).toMatch(/USAGE/);
          expect(out, name).toMatch(/credentials/);
          expect(out, name).toMatch(/--password-stdin|docker login|Docker config/);
          if (json) expect(JSON.parse(r.stdout).error.code).toBe('USAGE');
        }
      }
      for (const file of filesUnder(dir)) {
        const text = readFileSync(file, 'latin1');
        // The config files the test wrote hold the password on purpose.
        if (file.endsWith('.yaml') && file.includes('ferry')) continue;
        for (const f of forms(pw)) expect(text, file).not.toContain(f);
      }
    }, 120_000);
  }
});

/**
 * The same with credentials given the right way and in use: a Docker config for the pull, --password-stdin for push
 * and audit, against a real registry with htpasswd; the bundle, the lock and the reports hold no form of them either.
 */
describe.runIf(requireTools('docker-registry', 'htpasswd'))('credentials in use never reach an output channel', () => {
  const pw = 'Zq7Kx" @/Wm3Pv';
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ htpasswd: { username: 'alice', password: pw } });
    const image = makeImage({ layers: [await makeLayer({ seed: 'secrets-layer', size: 20_000, gzip: true })] });
    await seed(reg, 'acme/app', 'v1', image);
  }, 60_000);
  afterAll(async () => reg?.stop());

  it('pull with the Docker config, push, audit and inventory with --password-stdin: no secret in any output or file', async () => {
    const dir = scratch('ferry-secrets-');
    const docker = join(dir, 'docker');
    mkdirSync(docker);
    writeFileSync(
      join(docker, 'config.json'),
      JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`alice:${pw}`).toString('base64') } } }),
    );
    const env = { DOCKER_CONFIG: docker };
    const b = join(dir, 'out', 'b.tar');
    mkdirSync(join(dir, 'out'));
    const runs = [
      await run(
        [
          '--json',
          'bundle',
          'pull',
          writeManifest(dir, `  images: [${reg.host}/acme/app:v1]\n`),
          '-o',
          b,
          '--cache',
          join(dir, 'out', 'cache'),
          '--plain-http',
        ],
        { env },
      ),
      await run(
        [
          '--json',
          'bundle',
          'push',
          b,
          '--registry',
          `${reg.host}/copy`,
          '--plain-http',
          '--username',
          'alice',
          '--password-stdin',
          '--report',
          join(dir, 'out', 'push.html'),
        ],
        { input: `${pw}\n` },
      ),
      await run(
        [
          'bundle',
          'audit',
          b,
          '--registry',
          `${reg.host}/copy`,
          '--plain-http',
          '--username',
          'alice',
          '--password-stdin',
          '-o',
          join(dir, 'out', 'audit.json'),
        ],
        { input: `${pw}\n` },
      ),
      await run(
        [
          'registry',
          'inventory',
          '--registry',
          `${reg.host}/copy`,
          '--plain-http',
          '--username',
          'alice',
          '--password-stdin',
          '-o',
          join(dir, 'out', 'inv.json'),
        ],
        { input: `${pw}\n` },
      ),
      // A wrong password: the failure must not echo the one that was tried.
      await run(
        ['--json', 'bundle', 'push', b, '--registry', `${reg.host}/copy`, '--plain-http', '--username', 'alice', '--password-stdin'],
        { input: `${pw}x\n` },
      ),
      // registry login, wrong then right (the Docker config it writes holds the password on purpose, outside out/).
      await run(['registry', 'login', `http://${reg.host}`, '-u', 'alice', '--password-stdin'], {
        input: `${pw}x\n`,
        env: { DOCKER_CONFIG: join(dir, 'login') },
      }),
      await run(['--json', 'registry', 'login', `http://${reg.host}`, '-u', 'alice', '--password-stdin'], {
        input: `${pw}\n`,
        env: { DOCKER_CONFIG: join(dir, 'login') },
      }),
      await run(['registry', 'logout', reg.host], { env: { DOCKER_CONFIG: join(dir, 'login') } }),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 1, 1, 0, 0]);
    for (const r of runs) for (const f of forms(pw)) expect(`${r.stdout}${r.stderr}`).not.toContain(f);
    const files = filesUnder(join(dir, 'out'));
    expect(files.filter((f) => /b\.tar$|lock\.json$|push\.html$|audit\.json$|inv\.json$/.test(f))).toHaveLength(5);
    for (const file of files) {
      const text = readFileSync(file, 'latin1');
      for (const f of forms(pw)) expect(text, file).not.toContain(f);
    }
  }, 120_000);
});

import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, freePort, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';
import { selfSignedLoopbackCert } from '../helpers/tls-cert.js';

const ok = requireTools('docker-registry', 'openssl');

/** Every line ferry wrote on stderr, for "one line": the error is the last and only error line. */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('ferry: error'));

describe('usage errors and files that are no bundle, from bin/ferry', () => {
  it('a usage error is one line naming the help of the command typed, not the whole help; JSON with --json', async () => {
    for (const [args, line] of [
      [
        ['bundle', 'push', 'b.tar', '--registry', 'r:1', '--bogus'],
        "ferry: error [USAGE]: unknown option '--bogus'; see 'ferry bundle push --help'",
      ],
      [['bundle', 'verify'], "ferry: error [USAGE]: missing required argument 'bundle'; see 'ferry bundle verify --help'"],
      [
        ['bundle', 'pull', 'm.yaml', '-o', 'b.tar', '--concurrency', 'many'],
        "ferry: error [USAGE]: option '--concurrency <n>' argument 'many' is invalid. expected a whole number of at least 1; see 'ferry bundle pull --help'",
      ],
      [
        ['bundle', 'push', 'b.tar', '--registry', 'oci://r:1'],
        `ferry: error [USAGE]: --registry "oci://r:1": oci:// is not a registry scheme: give HOST[:PORT][/PREFIX], http://HOST for plain HTTP or https://HOST for TLS; see 'ferry bundle push --help'`,
      ],
      [
        ['bundle', 'push', 'b.tar', '--registry', 'r:1', '--username', 'u'],
        `ferry: error [USAGE]: --username u has no password: pipe it in with --password-stdin (echo "$PASSWORD" | ferry … --username u --password-stdin); see 'ferry bundle push --help'`,
      ],
      [
        ['registry', 'inventory', '--registry', 'ftp://r', '-o', 'i.json'],
        `ferry: error [USAGE]: --registry "ftp://r": ftp:// is not a registry scheme: give HOST[:PORT][/PREFIX], http://HOST for plain HTTP or https://HOST for TLS; see 'ferry registry inventory --help'`,
      ],
      [
        ['bundle', 'audit', 'b.tar', '-o', 'r.json', '--registry', 'docker://r'],
        `ferry: error [USAGE]: --registry "docker://r": docker:// is not a registry scheme: give HOST[:PORT][/PREFIX], http://HOST for plain HTTP or https://HOST for TLS; see 'ferry bundle audit --help'`,
      ],
      [
        ['bundle', 'stage', 'b.tar', '--dir', 'd', '--registry', 'https://r:1', '--plain-http'],
        "ferry: error [USAGE]: --registry https://r:1 asks for TLS and --plain-http for plain HTTP: drop one (http://r:1 means plain HTTP); see 'ferry bundle stage --help'",
      ],
      [
        ['bundle', 'stage', 'b.tar', '--dir', 'd', '--registry', 'r:1', '--registry-username', 'node'],
        `ferry: error [USAGE]: --registry-username node has no password: pipe it in with --registry-password-stdin (echo "$PASSWORD" | ferry … --registry-username node --registry-password-stdin); see 'ferry bundle stage --help'`,
      ],
    ] as [string[], string][]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`${line}\n`);
    }
    const j = await run(['--json', 'bundle', 'push', 'b.tar']);
    expect(j.code).toBe(2);
    expect(j.stderr).toBe('');
    expect(JSON.parse(j.stdout)).toEqual({
      ok: false,
      error: {
        code: 'USAGE',
        message: "required option '--registry <host[:port][/prefix]>' not specified",
        details: { help: 'ferry bundle push --help' },
      },
    });
  });

  it('a closed pipe ends quietly: no stack, no exit 7', () => {
    // `head -c 0` exits before ferry writes: every write meets a closed pipe (EPIPE).
    const r = spawnSync('bash', ['-c', 'set -o pipefail; ./bin/ferry --help | head -c 0'], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('a missing manifest and a missing bundle get the same code and exit status; a file that is no bundle says so', async () => {
    const dir = scratch();
    const m = await run(['bundle', 'pull', join(dir, 'nope.yaml'), '-o', join(dir, 'b.tar')]);
    const b = await run(['bundle', 'verify', join(dir, 'nope.tar')]);
    expect([m.code, b.code]).toEqual([1, 1]);
    expect(errorLines(m.stderr)).toEqual([
      `ferry: error [NOT_FOUND]: bundle manifest ${join(dir, 'nope.yaml')} does not exist: check the path (ENOENT)`,
    ]);
    expect(errorLines(b.stderr)).toEqual([
      `ferry: error [NOT_FOUND]: bundle ${join(dir, 'nope.tar')} does not exist: check the path (ENOENT)`,
    ]);
    writeFileSync(join(dir, 'notes.txt'), 'just some notes\n'.repeat(100));
    execFileSync('tar', ['-cf', join(dir, 'other.tar'), '-C', dir, 'notes.txt']);
    const commands: Record<string, string[]> = { verify: [], inspect: [], push: ['--registry', 'r:1'], stage: ['--dir', join(dir, 's')] };
    for (const [cmd, rest] of Object.entries(commands)) {
      const t = await run(['bundle', cmd, join(dir, 'notes.txt'), ...rest]);
      expect(t.code).toBe(1);
      expect(errorLines(t.stderr)).toEqual([
        `ferry: error [BUNDLE_INVALID]: ${join(dir, 'notes.txt')}: not a tar archive (its first 512 bytes are not a tar header): expected a bundle written by 'ferry bundle pull'`,
      ]);
      const o = await run(['bundle', cmd, join(dir, 'other.tar'), ...rest]);
      expect(errorLines(o.stderr)).toEqual([
        `ferry: error [BUNDLE_INVALID]: ${join(dir, 'other.tar')}: not a ferry bundle: no ferry-bundle.json (a tar archive of 1 entry, the first "notes.txt"): expected a bundle written by 'ferry bundle pull'`,
      ]);
      expect(o.stdout + o.stderr).not.toContain('DAMAGED');
    }
  });
});

describe.runIf(ok)('registry errors that name the fix, against real registries', () => {
  let plain: TestRegistry;
  let tls: TestRegistry;
  let bundle: string;

  beforeAll(async () => {
    const dir = scratch('ferry-errmsg-');
    const { certPath: cert, keyPath: key } = selfSignedLoopbackCert(dir);
    [plain, tls] = await Promise.all([startRegistry(), startRegistry({ tls: { certPath: cert, keyPath: key } })]);
    await seed(plain, 'team/app', '1', makeImage({ layers: [await makeLayer({ seed: 'errmsg', size: 20_000, gzip: true })] }));
    const m = writeManifest(dir, `  images: [${plain.host}/team/app:1]\n`);
    bundle = join(dir, 'b.tar');
    const r = await run(['bundle', 'pull', m, '-o', bundle, '--cache', join(dir, 'cache'), '--plain-http', '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => Promise.all([plain?.stop(), tls?.stop()]));

  it('TLS to a plain-HTTP registry: "answered plain HTTP: add --plain-http"; http:// in --registry means plain HTTP', async () => {
    const dir = scratch();
    const m = writeManifest(dir, `  images: [${plain.host}/team/app:1]\n`);
    const pulled = await run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c')]);
    expect(pulled.code).toBe(1);
    expect(errorLines(pulled.stderr)).toEqual([
      `ferry: error [NETWORK_ERROR]: the registry at ${plain.host} answered plain HTTP: add --plain-http, or write http://${plain.host} in --registry or --mirror (https://${plain.host}/v2/team/app/manifests/1)`,
    ]);
    expect(pulled.stderr).not.toMatch(/SSL routines|ssl3_get_record/);
    const pushed = await run(['bundle', 'push', bundle, '--registry', `https://${plain.host}/x`, '--no-progress']);
    expect(pushed.code).toBe(1);
    expect(errorLines(pushed.stderr)[0]).toMatch(
      new RegExp(`^ferry: error \\[NETWORK_ERROR\\]: the registry at ${plain.host} answered plain HTTP: add --plain-http`),
    );
    const scheme = await run(['bundle', 'push', bundle, '--registry', `http://${plain.host}/x`, '--no-progress', '--json']);
    expect(scheme.code, scheme.stderr).toBe(0);
    expect(JSON.parse(scheme.stdout).images.map((i: { target: string }) => i.target)).toEqual([`${plain.host}/x/team/app:1`]);
  });

  it('`ferry bundle inspect b.tar | head -1` ends quietly, exit 0, when the reader has gone', () => {
    for (const reader of ['head -1', 'head -c 0']) {
      const r = spawnSync('bash', ['-c', `set -o pipefail; ./bin/ferry bundle inspect ${bundle} | ${reader}`], { encoding: 'utf8' });
      expect([r.status, r.stderr], reader).toEqual([0, '']);
      expect(r.stdout).toBe(reader === 'head -1' ? `${r.stdout.split('\n')[0]}\n` : '');
    }
    // The reader gone while work is under way (a pipe on stderr closed during verify): 141, as SIGPIPE would end it.
    const v = spawnSync('bash', ['-c', `set -o pipefail; ./bin/ferry bundle verify ${bundle} 2>&1 | head -c 0`], { encoding: 'utf8' });
    expect(v.status).toBe(141);
  });

  it('plain HTTP to a TLS registry: "speaks TLS: drop --plain-http"', async () => {
    const r = await run(['bundle', 'push', bundle, '--registry', tls.host, '--plain-http', '--no-progress']);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)[0]).toMatch(
      new RegExp(
        `^ferry: error \\[NETWORK_ERROR\\]: the registry at ${tls.host} speaks TLS, not plain HTTP: drop --plain-http, or write https://${tls.host} in --registry or --mirror`,
      ),
    );
  });

  it('a registry that is down: nothing answers there, in one line', async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const r = await run(['bundle', 'push', bundle, '--registry', `http://${host}`, '--no-progress'], { env: { FERRY_HTTP_TIMEOUT: '2' } });
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^ferry: error \\[NETWORK_ERROR\\]: http://${host}/v2/.*: nothing answers at ${host} \\(connection refused\\): check the host and port, and that the server is running \\(5 attempts\\)$`,
        ),
      ),
    ]);
  });

  it('pull reports every unresolvable image of a manifest at once, each with its URL and reason', async () => {
    const dir = scratch();
    const m = writeManifest(
      dir,
      `  images:\n    - ${plain.host}/team/app:1\n    - ${plain.host}/team/app:2\n    - ${plain.host}/team/gone:1\n`,
    );
    const r = await run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--plain-http', '--no-progress']);
    expect(r.code).toBe(1);
    const at = r.stderr.indexOf('ferry: error');
    expect(r.stderr.slice(at).split('\n')).toEqual([
      'ferry: error [NOT_FOUND]: 2 of 3 manifest entries could not be resolved, nothing was pulled:',
      expect.stringMatching(
        new RegExp(
          `^  image ${plain.host}/team/app:2 \\(http://${plain.host}/v2/team/app/manifests/2\\): ${plain.host}/team/app:2 not found: HTTP 404 MANIFEST_UNKNOWN`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^  image ${plain.host}/team/gone:1 \\(http://${plain.host}/v2/team/gone/manifests/1\\): ${plain.host}/team/gone:1 not found: HTTP 404`,
        ),
      ),
      '',
    ]);
    const j = await run(['--json', 'bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--plain-http']);
    expect(JSON.parse(j.stdout).error.details.failures.map((f: { what: string; code: string }) => [f.what, f.code])).toEqual([
      [`image ${plain.host}/team/app:2`, 'NOT_FOUND'],
      [`image ${plain.host}/team/gone:1`, 'NOT_FOUND'],
    ]);
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BundleReader } from '../../../src/bundle/reader.js';
import { connectionFor, loginFrom } from '../../../src/cli/connection-flags.js';
import { reportError } from '../../../src/cli/output.js';
import { oneLineUsageErrors } from '../../../src/cli/usage.js';
import { FerryError } from '../../../src/core/errors.js';
import { inputFileError } from '../../../src/core/input-file.js';
import { loadManifest } from '../../../src/manifest/load.js';
import { settleAll, throwIfFailed, type ResolveFailure } from '../../../src/pull/resolve-failures.js';
import { parsePushTarget } from '../../../src/registry/push-target.js';
import { verifyBundle } from '../../../src/verify/verify-bundle.js';
import { rawTar, tempDir } from '../bundle/fixtures.js';

afterEach(() => vi.restoreAllMocks());

describe('--registry schemes and logins', () => {
  it('reads http:// as plain HTTP, https:// as TLS, refuses any other scheme', () => {
    expect(parsePushTarget('repos.x:5000/mirror')).toEqual({ registry: 'repos.x:5000', prefix: 'mirror' });
    expect(parsePushTarget('http://repos.x:5000/mirror')).toEqual({ registry: 'repos.x:5000', prefix: 'mirror', scheme: 'http' });
    expect(parsePushTarget('HTTPS://repos.x:5000')).toEqual({ registry: 'repos.x:5000', prefix: '', scheme: 'https' });
    expect(() => parsePushTarget('oci://repos.x:5000')).toThrowError(
      expect.objectContaining({
        code: 'USAGE',
        message: expect.stringMatching(
          /^--registry "oci:\/\/repos.x:5000": oci:\/\/ is not a registry scheme: give HOST\[:PORT\]\[\/PREFIX\], http:\/\/HOST for plain HTTP or https:\/\/HOST for TLS$/,
        ),
      }),
    );
    expect(connectionFor(parsePushTarget('http://r:1'), {}).plainHttp).toBe(true);
    expect(connectionFor(parsePushTarget('r:1'), {}).plainHttp).toBe(false);
    expect(connectionFor(parsePushTarget('r:1'), { plainHttp: true }).plainHttp).toBe(true);
    expect(() => connectionFor(parsePushTarget('https://r:1'), { plainHttp: true })).toThrowError(
      expect.objectContaining({
        code: 'USAGE',
        message: expect.stringMatching(/https:\/\/r:1 asks for TLS and --plain-http for plain HTTP: drop one/),
      }),
    );
  });

  it('refuses --username without --password-stdin, and the reverse', async () => {
    await expect(loginFrom('r:1', 'alice', undefined)).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/^--username alice has no password: pipe it in with --password-stdin/),
    });
    await expect(loginFrom('r:1', undefined, true)).rejects.toMatchObject({ code: 'USAGE', message: '--password-stdin needs --username' });
    await expect(
      loginFrom('r:1', 'node', undefined, { user: '--registry-username', password: '--registry-password-stdin' }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/^--registry-username node has no password: pipe it in with --registry-password-stdin/),
    });
    expect(await loginFrom('r:1', undefined, undefined)).toBeUndefined();
  });
});

describe('usage errors', () => {
  const program = () => {
    const p = new Command('ferry').exitOverride().option('--json');
    const bundle = p.command('bundle');
    const count = (v: string) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a whole number of at least 1');
      return Number(v);
    };
    bundle
      .command('push')
      .argument('<bundle>')
      .requiredOption('--registry <host>')
      .option('--concurrency <n>', 'n', count)
      .action(() => undefined);
    oneLineUsageErrors(p);
    return p;
  };
  const usage = async (...args: string[]) => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const err = await program()
      .parseAsync(['node', 'ferry', ...args])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(stderr).not.toHaveBeenCalled(); // commander prints nothing itself: no help text
    return err as FerryError;
  };

  it('become one USAGE error naming the help of the command typed', async () => {
    expect(await usage('bundle', 'push', 'b.tar', '--registry', 'r', '--bogus')).toMatchObject({
      code: 'USAGE',
      message: "unknown option '--bogus'",
      details: { help: 'ferry bundle push --help' },
    });
    expect(await usage('bundle', 'push', '--registry', 'r')).toMatchObject({
      message: "missing required argument 'bundle'",
      details: { help: 'ferry bundle push --help' },
    });
    expect(await usage('bundle', 'push', 'b.tar')).toMatchObject({ message: "required option '--registry <host>' not specified" });
    expect(await usage('bundle', 'push', 'b.tar', '--registry', 'r', '--concurrency', 'x')).toMatchObject({
      message: "option '--concurrency <n>' argument 'x' is invalid. expected a whole number of at least 1",
    });
    expect(await usage('bundle', 'pusj')).toMatchObject({
      message: expect.stringMatching(/^unknown command 'pusj'/),
      details: { help: 'ferry bundle --help' },
    });
    expect(await usage('--bogus')).toMatchObject({ details: { help: 'ferry --help' } });
  });

  it('print one line ending with the help to read, or with --json the JSON error document', () => {
    const err = new FerryError('USAGE', "unknown option '--bogus'", { help: 'ferry bundle push --help' });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(reportError(err, false)).toBe(2);
    // (On a terminal the line is preceded by the cursor-and-wrap restore, \x1b[?25h\x1b[?7h.)
    expect(
      stderr.mock.calls
        .map((c) => c[0])
        .join('')
        .replace('\x1b[?25h\x1b[?7h', ''),
    ).toBe("ferry: error [USAGE]: unknown option '--bogus'; see 'ferry bundle push --help'\n");
    expect(reportError(err, true)).toBe(2);
    expect(JSON.parse(String(stdout.mock.calls[0]?.[0]))).toEqual({
      ok: false,
      error: { code: 'USAGE', message: "unknown option '--bogus'", details: { help: 'ferry bundle push --help' } },
    });
  });
});

describe('files that are missing or are no bundle', () => {
  it('a missing manifest and a missing bundle: the same code, one line each', async () => {
    const dir = tempDir();
    const m = await loadManifest(join(dir, 'nope.yaml')).catch((e: FerryError) => e);
    const b = await verifyBundle(join(dir, 'nope.tar')).catch((e: FerryError) => e);
    expect(m).toMatchObject({
      code: 'NOT_FOUND',
      message: `bundle manifest ${join(dir, 'nope.yaml')} does not exist: check the path (ENOENT)`,
    });
    expect(b).toMatchObject({ code: 'NOT_FOUND', message: `bundle ${join(dir, 'nope.tar')} does not exist: check the path (ENOENT)` });
    expect(inputFileError(Object.assign(new Error('x'), { code: 'EACCES' }), '/b.tar', 'bundle')).toMatchObject({
      code: 'IO_ERROR',
      details: { errno: 'EACCES', path: '/b.tar' },
    });
  });

  it.each([
    ['an empty file', Buffer.alloc(0), /: not a tar archive \(the file is empty\): expected a bundle written by 'ferry bundle pull'$/],
    ['a short text', Buffer.from('hello\n'), /: not a tar archive \(6 bytes, less than one tar header\)/],
    ['garbage', Buffer.alloc(10_000, 0x41), /: not a tar archive \(its first 512 bytes are not a tar header\)/],
    ['zeros', Buffer.alloc(4096), /: not a ferry bundle: no ferry-bundle.json \(an empty tar archive\)/],
    [
      'another tar',
      rawTar([
        ['notes.txt', Buffer.from('hi')],
        ['b', Buffer.from('x')],
      ]),
      /: not a ferry bundle: no ferry-bundle.json \(a tar archive of 2 entries, the first "notes.txt"\)/,
    ],
  ])('%s: verify and the reader say so in one line', async (_what, bytes, message) => {
    const path = join(tempDir(), 'x.tar');
    writeFileSync(path, bytes);
    for (const open of [() => verifyBundle(path), () => BundleReader.open(path)]) {
      const err = (await (open() as Promise<unknown>).catch((e: FerryError) => e)) as FerryError;
      expect(err).toMatchObject({ code: 'BUNDLE_INVALID', message: expect.stringMatching(message) });
      expect(err.message).not.toContain('\n');
    }
  });

  it('a damaged bundle is still a bundle: verify reports its problems', async () => {
    const path = join(tempDir(), 'x.tar');
    writeFileSync(
      path,
      rawTar([
        ['SHA256SUMS', Buffer.from('')],
        ['oci-layout', Buffer.from('{}')],
      ]),
    );
    const r = await verifyBundle(path);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.code)).toContain('MISSING');
  });
});

describe("pull's resolve step", () => {
  const fail = (code: FerryError['code'], message: string, url?: string) => new FerryError(code, message, url ? { url } : {});

  it('collects every failure into one error listing each, exits with the worst', async () => {
    const failures: ResolveFailure[] = [];
    const refs = ['ok:1', 'gone:1', 'bad:1', 'gone:2'];
    const values = await settleAll(
      refs,
      async (r) => {
        if (r === 'ok:1') return r;
        throw r === 'bad:1'
          ? fail('DIGEST_MISMATCH', `${r}: digest mismatch`, 'https://u:p@reg/v2/bad/manifests/1')
          : fail('NOT_FOUND', `${r} not found: HTTP 404`);
      },
      (r) => ({ what: `image ${r}`, url: `https://reg/v2/${r.replace(':', '/manifests/')}` }),
      failures,
    );
    expect(values).toEqual(['ok:1']);
    const err = (() => {
      try {
        throwIfFailed(failures, refs.length);
      } catch (e) {
        return e as FerryError;
      }
    })() as FerryError;
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe(
      [
        '3 of 4 manifest entries could not be resolved, nothing was pulled:',
        '  image gone:1 (https://reg/v2/gone/manifests/1): gone:1 not found: HTTP 404',
        '  image bad:1 (https://***@reg/v2/bad/manifests/1): bad:1: digest mismatch',
        '  image gone:2 (https://reg/v2/gone/manifests/2): gone:2 not found: HTTP 404',
      ].join('\n'),
    );
    expect((err.details.failures as { code: string }[]).map((f) => f.code)).toEqual(['NOT_FOUND', 'DIGEST_MISMATCH', 'NOT_FOUND']);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(reportError(err, false)).toBe(3); // the worst: an integrity failure
  });

  it('one failure is thrown as it is', () => {
    const only = fail('NOT_FOUND', 'x not found');
    expect(() => throwIfFailed([{ what: 'image x', url: 'u', code: 'NOT_FOUND', message: 'x not found', error: only }], 3)).toThrow(only);
    expect(() => throwIfFailed([], 3)).not.toThrow();
  });
});

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes } from '../helpers/images.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Passwords with the characters that break naive redaction; each half is long enough to be searched for alone. */
const PASSWORDS = ['Zq7Kx"Wm3Pv', 'Zq7Kx@Wm3Pv', 'Zq7Kx/Wm3Pv', 'Zq7Kx Wm3Pv', '4242/Zq7KxWm3Pv'];

/** Every form a password could leak in: as typed, URL-encoded, JSON-escaped, in a Basic header, and its halves. */
function forms(pw: string): string[] {
  return [pw, encodeURIComponent(pw), encodeURI(pw), JSON.stringify(pw).slice(1, -1), Buffer.from(`alice:${pw}`).toString('base64'), 'Zq7Kx', 'Wm3Pv'];
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
    const r = await run(['bundle', 'pull', manifest, '-o', bundle, '--cache', join(dir, 'cache'), '--mirror', `https://files.example/=${host.url}/`, '--no-progress']);
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
    ];
  };

  for (const pw of PASSWORDS) {
    it(`password ${JSON.stringify(pw)}: a usage error that names the fix, and no secret in stdout, stderr, --json or any file`, async () => {
      const dir = scratch('ferry-secrets-');
      for (const [name, args] of cases(pw, dir)) {
        for (const json of [false, true]) {
          const r = await run([...(json ? ['--json'] : []), ...args]);
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

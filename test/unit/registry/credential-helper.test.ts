import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helperErase, helperGet, helperStore } from '../../../src/registry/credential-helper.js';
import { pathWith, writeCredentialHelper, writeScript } from '../../helpers/credential-helper.js';

const SECRET = 'hunter2-Zq7KxWm3Pv';

describe('the credential-helper protocol (docker-credential-helpers client.go)', () => {
  const bin = mkdtempSync(join(tmpdir(), 'ferry-helpers-'));
  const savedPath = process.env.PATH;
  const good = writeCredentialHelper(bin, 'good', { 'reg.example': { Username: 'u', Secret: 'p' } });
  writeScript(bin, 'broken', `process.stdout.write('fatal: ${SECRET}\\n'); process.stderr.write('${SECRET}\\n'); process.exit(1);`);
  writeScript(bin, 'garbage', `process.stdout.write('not json ${SECRET}');`);
  writeScript(bin, 'slow', `setTimeout(() => {}, 60000);`);
  writeScript(bin, 'empty', `process.stdout.write('{"ServerURL":"x","Username":"","Secret":""}');`);
  writeScript(bin, 'stderr-notfound', `process.stderr.write('credentials not found in native keychain'); process.exit(1);`);
  beforeAll(() => void (process.env.PATH = pathWith(bin)));
  afterAll(() => void (process.env.PATH = savedPath));

  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );

  it('get, store, erase: the server URL (or the JSON) on stdin; "credentials not found" is no credentials', async () => {
    expect(await helperGet('good', 'reg.example')).toEqual({ username: 'u', password: 'p' });
    expect(await helperGet('good', 'elsewhere.example')).toBeUndefined();
    await helperStore('good', 'new.example:5000', { username: 'nu', password: 'np' });
    expect(good.stored()['new.example:5000']).toEqual({ Username: 'nu', Secret: 'np' });
    expect(await helperErase('good', 'new.example:5000')).toBe(true);
    expect(await helperErase('good', 'new.example:5000')).toBe(false);
    expect(good.calls()).toEqual([
      { action: 'get', input: 'reg.example' },
      { action: 'get', input: 'elsewhere.example' },
      { action: 'store', input: JSON.stringify({ ServerURL: 'new.example:5000', Username: 'nu' }) },
      { action: 'erase', input: 'new.example:5000' },
      { action: 'erase', input: 'new.example:5000' },
    ]);
    expect(await helperGet('stderr-notfound', 'x')).toBeUndefined();
    expect(await helperGet('empty', 'x')).toBeUndefined();
  });

  it('a failing helper is one line naming it and the host, never its output', async () => {
    const e = await failure(helperGet('broken', 'reg.example', { host: 'reg.example' }));
    expect(e).toMatchObject({
      code: 'AUTH_FAILED',
      message:
        'credential helper docker-credential-broken (get for reg.example): exited with status 1 (its output is not shown: it may hold secrets)',
    });
    const g = await failure(helperGet('garbage', 'reg.example', { host: 'reg.example' }));
    expect(g?.message).toBe(
      'credential helper docker-credential-garbage (get for reg.example): answered something other than JSON {"ServerURL","Username","Secret"} (not shown: it may hold secrets)',
    );
    expect(JSON.stringify([e, g, e?.message, g?.message])).not.toContain(SECRET);
  });

  it('a helper missing from PATH, one that hangs (timeout), and a name that is not a program name', async () => {
    expect((await failure(helperGet('absent', 'h', { host: 'h' })))?.message).toBe(
      'credential helper docker-credential-absent (get for h): is not on PATH: install it, or remove credsStore/credHelpers naming it from the config',
    );
    const t0 = Date.now();
    expect((await failure(helperGet('slow', 'h', { host: 'h', timeoutMs: 300 })))?.message).toMatch(
      /^credential helper docker-credential-slow \(get for h\): gave no answer within 300 ms/,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await failure(helperGet('../../bin/sh', 'h')))?.message).toMatch(
      /^credential helper name "..\/..\/bin\/sh" is not a program name/,
    );
  });

  it('an abort stops the helper and rejects with the abort reason', async () => {
    const ac = new AbortController();
    const p = failure(helperGet('slow', 'h', { signal: ac.signal }));
    setTimeout(() => ac.abort(new Error('interrupted')), 100);
    expect((await p)?.message).toBe('interrupted');
  });
});

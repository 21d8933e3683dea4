import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHelper, pathWith, writeCredentialHelper, writeScript } from '../helpers/credential-helper.js';
import { type Image, makeImage, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type TokenServer, startTokenServer } from '../helpers/token-server.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const execFileAsync = promisify(execFile);
const ok = requireTools('docker-registry', 'htpasswd', 'skopeo', 'openssl');
const USER = 'robot';
const PASSWORD = 'pw-Zq7Kx@Wm3Pv';
const SECRET = 'leaked-Zq7KxWm3Pv-helper-secret';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A home of its own for each case: no credentials of the machine's user can answer, only the files the test writes. */
function sandbox(bin: string) {
  const dir = scratch('ferry-creds-');
  for (const d of ['home', 'run', 'cfg', 'docker']) mkdirSync(join(dir, d));
  const env = {
    HOME: join(dir, 'home'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'cfg'),
    DOCKER_CONFIG: join(dir, 'docker'),
    REGISTRY_AUTH_FILE: '',
    PATH: pathWith(bin),
  };
  const dockerConfig = (value: unknown) => writeFileSync(join(dir, 'docker', 'config.json'), JSON.stringify(value));
  return { dir, env, dockerConfig };
}

describe.runIf(ok)('registry credentials: helpers, auth files and `registry login`, against a real htpasswd registry', () => {
  let reg: TestRegistry;
  let image: Image;
  let bin: string;
  let helper: FakeHelper;

  beforeAll(async () => {
    reg = await startRegistry({ htpasswd: { username: USER, password: PASSWORD } });
    image = makeImage({ layers: [await makeLayer({ seed: 'creds-1', size: 20_000, gzip: true })] });
    await seed(reg, 'acme/app', 'v1', image);
    bin = scratch('ferry-creds-bin-');
    helper = writeCredentialHelper(bin, 'test', { [reg.host]: { Username: USER, Secret: PASSWORD } });
    writeScript(bin, 'broken', `process.stdout.write('error: token ${SECRET}\\n'); process.stderr.write('${SECRET}\\n'); process.exit(1);`);
  });
  afterAll(async () => reg?.stop());

  const pullIn = async (s: ReturnType<typeof sandbox>, extra: string[] = []) => {
    const m = writeManifest(s.dir, `  images: [${reg.host}/acme/app:v1]\n`);
    const r = await run(
      ['bundle', 'pull', m, '-o', join(s.dir, 'b.tar'), '--cache', join(s.dir, 'c'), '--plain-http', '--no-progress', ...extra],
      { env: s.env },
    );
    return { ...r, bundle: join(s.dir, 'b.tar') };
  };
  const skopeoInspect = async (env: NodeJS.ProcessEnv, ref: string) =>
    (
      await execFileAsync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/${ref}`], {
        env: { ...process.env, ...env },
        encoding: 'buffer',
      })
    ).stdout;
  const leaks = (text: string) => [PASSWORD, b64(`${USER}:${PASSWORD}`), SECRET].filter((f) => text.includes(f));

  it('credsStore: bundle pull and bundle push go through docker-credential-test, asked with the exact host:port; skopeo reads the push through the same helper', async () => {
    const s = sandbox(bin);
    s.dockerConfig({ credsStore: 'test' });
    const before = helper.calls().length;
    const pulled = await pullIn(s);
    expect(pulled.code, pulled.stderr).toBe(0);
    const pushed = await run(['bundle', 'push', pulled.bundle, '--registry', `${reg.host}/copy`, '--plain-http', '--no-progress'], {
      env: s.env,
    });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`${reg.host}/copy/acme/app:v1`);
    // One helper run per command (answers are kept for the process), each asked about the registry as docker names it.
    expect(helper.calls().slice(before)).toEqual([
      { action: 'get', input: reg.host },
      { action: 'get', input: reg.host },
    ]);
    expect(leaks(pulled.stdout + pulled.stderr + pushed.stdout + pushed.stderr)).toEqual([]);
    // skopeo (containers/image) runs credHelpers but not credsStore (containers/image issue #111): the same helper,
    // named per host, has skopeo read back what ferry pushed — an independent consumer of the same protocol.
    s.dockerConfig({ credHelpers: { [reg.host]: 'test' } });
    const n = helper.calls().length;
    expect((await skopeoInspect(s.env, 'copy/acme/app:v1')).equals(image.manifest.data)).toBe(true);
    expect(helper.calls().slice(n)).toEqual([{ action: 'get', input: reg.host }]);
  });

  it('through a mirror, the helper is asked for the host contacted and then for the upstream name, whose login serves', async () => {
    const s = sandbox(bin);
    s.dockerConfig({ credsStore: 'hub' });
    const hub = writeCredentialHelper(bin, 'hub', { 'https://index.docker.io/v1/': { Username: USER, Secret: PASSWORD } });
    const m = writeManifest(s.dir, '  images: [docker.io/acme/app:v1]\n');
    const r = await run(
      ['bundle', 'pull', m, '-o', join(s.dir, 'b.tar'), '--cache', join(s.dir, 'c'), '--mirror', `docker.io=${reg.url}`, '--no-progress'],
      { env: s.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(hub.calls()).toEqual([
      { action: 'get', input: reg.host },
      { action: 'get', input: 'https://index.docker.io/v1/' },
    ]);
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
  });

  it("a failing helper and a missing one: one line naming docker-credential-… and the host, the helper's output nowhere", async () => {
    for (const [name, why] of [
      ['broken', 'exited with status 1 (its output is not shown: it may hold secrets)'],
      ['absent', 'is not on PATH: install it, or remove credsStore/credHelpers naming it from the config'],
    ]) {
      const s = sandbox(bin);
      s.dockerConfig({ credHelpers: { [reg.host]: name }, credsStore: 'test' });
      for (const json of [false, true]) {
        const r = await pullIn(s, json ? ['--json'] : []);
        expect(r.code).toBe(1);
        const out = r.stdout + r.stderr;
        expect(out).toContain(`credential helper docker-credential-${name} (get for ${reg.host}): ${why}`);
        expect(leaks(out), out).toEqual([]);
        if (json) expect(JSON.parse(r.stdout).error.code).toBe('AUTH_FAILED');
        else expect(r.stderr).toMatch(/^ferry: error \[AUTH_FAILED\]: /m);
      }
    }
  });

  it("REGISTRY_AUTH_FILE and $XDG_RUNTIME_DIR/containers/auth.json (podman's files): the pull succeeds with them, and so does skopeo", async () => {
    const entry = { auths: { [reg.host]: { auth: b64(`${USER}:${PASSWORD}`) } } };
    const explicit = sandbox(bin);
    const file = join(explicit.dir, 'my-auth.json');
    writeFileSync(file, JSON.stringify(entry));
    const runtime = sandbox(bin);
    mkdirSync(join(runtime.dir, 'run', 'containers'));
    writeFileSync(join(runtime.dir, 'run', 'containers', 'auth.json'), JSON.stringify(entry));
    for (const [s, env] of [
      [explicit, { ...explicit.env, REGISTRY_AUTH_FILE: file }],
      [runtime, runtime.env],
    ] as const) {
      const r = await pullIn({ ...s, env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect((await skopeoInspect(env, 'acme/app:v1')).equals(image.manifest.data)).toBe(true);
    }
    // Without any of them the registry refuses the pull: the files above were what answered.
    const none = await pullIn(sandbox(bin));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no credentials were found');
  });

  it('registry login: a wrong password writes nothing; the right one writes config.json (0600) that ferry and skopeo read; logout removes it, other keys stay', async () => {
    const s = sandbox(bin);
    const config = join(s.dir, 'docker', 'config.json');
    const login = (pw: string, extra: string[] = []) =>
      run(['registry', 'login', `http://${reg.host}`, '-u', USER, '--password-stdin', ...extra], { input: `${pw}\n`, env: s.env });

    const wrong = await login('not-the-password');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      `ferry: error [AUTH_FAILED]: ${reg.host}: the registry rejected the credentials (HTTP 401); nothing was stored\n`,
    );
    expect(existsSync(config)).toBe(false);

    const right = await login(PASSWORD);
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toBe(`logged in to ${reg.host} as ${USER} (stored in ${config})\n`);
    expect(right.stderr).toBe(
      `warning: the password is stored unencrypted (base64) in ${config}: configure a credential helper (credsStore) to keep it elsewhere\n`,
    );
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ auths: { [reg.host]: { auth: b64(`${USER}:${PASSWORD}`) } } });
    expect(leaks(right.stdout + right.stderr + wrong.stdout + wrong.stderr)).toEqual([]);
    expect((await pullIn(s)).code).toBe(0);
    expect((await skopeoInspect(s.env, 'acme/app:v1')).equals(image.manifest.data)).toBe(true);

    // Keys ferry does not know are kept as they were.
    const current = JSON.parse(readFileSync(config, 'utf8'));
    s.dockerConfig({
      psFormat: 'table {{.ID}}',
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      ...current,
      auths: { ...current.auths, 'other.example': { auth: b64('o:o') } },
    });
    const out = await run(['registry', 'logout', reg.host], { env: s.env });
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(`logged out of ${reg.host} (removed from ${config})\n`);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({
      psFormat: 'table {{.ID}}',
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      auths: { 'other.example': { auth: b64('o:o') } },
    });
    const again = await run(['registry', 'logout', reg.host], { env: s.env });
    expect(again).toMatchObject({ code: 0, stdout: `not logged in to ${reg.host} (nothing stored for it in ${config})\n` });
    const refused = await pullIn(s);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('AUTH_FAILED');
  });

  it('registry login with credsStore: the helper stores the secret, config.json records only auths[host] = {}; logout erases it in the helper', async () => {
    const s = sandbox(bin);
    const vault = writeCredentialHelper(scratch('ferry-creds-vault-'), 'vault');
    s.env.PATH = pathWith(vault.dir);
    s.dockerConfig({ credsStore: 'vault', currentContext: 'default' });
    const config = join(s.dir, 'docker', 'config.json');
    const r = await run(['registry', 'login', reg.host, '--plain-http', '--username', USER, '--password-stdin'], {
      input: `${PASSWORD}\n`,
      env: s.env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`logged in to ${reg.host} as ${USER} (stored in docker-credential-vault; ${config} records the login)\n`);
    expect(r.stderr).toBe('');
    expect(vault.calls()).toEqual([{ action: 'store', input: JSON.stringify({ ServerURL: reg.host, Username: USER }) }]);
    expect(vault.stored()).toEqual({ [reg.host]: { Username: USER, Secret: PASSWORD } });
    const text = readFileSync(config, 'utf8');
    expect(JSON.parse(text)).toEqual({ credsStore: 'vault', currentContext: 'default', auths: { [reg.host]: {} } });
    expect(leaks(text)).toEqual([]);
    expect((await pullIn(s)).code).toBe(0);
    const out = await run(['registry', 'logout', reg.host], { env: s.env });
    expect(out).toMatchObject({ code: 0, stdout: `logged out of ${reg.host} (removed from docker-credential-vault and ${config})\n` });
    expect(vault.stored()).toEqual({});
    expect(vault.calls().map((c) => c.action)).toEqual(['store', 'get', 'erase']);
  });
});

describe.runIf(ok)('registry login against a registry that asks for no credentials', () => {
  let open: TestRegistry;
  beforeAll(async () => void (open = await startRegistry()));
  afterAll(async () => open?.stop());

  it('stores the login as docker does, and says it was not checked', async () => {
    const s = sandbox(scratch('ferry-creds-bin-'));
    const r = await run(['registry', 'login', open.host, '--plain-http', '-u', USER, '--password-stdin'], {
      input: `${PASSWORD}\n`,
      env: s.env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `logged in to ${open.host} as ${USER} (stored in ${join(s.dir, 'docker', 'config.json')}); the registry did not ask for credentials, so they were not checked\n`,
    );
  });
});

describe.runIf(ok)('registry login against a Bearer token registry', () => {
  let tokens: TokenServer;
  let reg: TestRegistry;
  beforeAll(async () => {
    tokens = await startTokenServer({ username: USER, password: PASSWORD });
    reg = await startRegistry({
      token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPath: tokens.certPath },
    });
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('the password is checked through the token flow: wrong is AUTH_FAILED with nothing written, right is stored', async () => {
    const s = sandbox(scratch('ferry-creds-bin-'));
    const config = join(s.dir, 'docker', 'config.json');
    const wrong = await run(['registry', 'login', `http://${reg.host}`, '-u', USER, '--password-stdin'], { input: 'wrong\n', env: s.env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^ferry: error \[AUTH_FAILED\]: token request to http:\/\/127\.0\.0\.1:\d+\/token for registry failed: HTTP 401; nothing was stored\n$/,
    );
    expect(existsSync(config)).toBe(false);
    const right = await run(['registry', 'login', `http://${reg.host}`, '-u', USER, '--password-stdin'], {
      input: `${PASSWORD}\n`,
      env: s.env,
    });
    expect(right.code, right.stderr).toBe(0);
    expect(tokens.requests.filter((r) => r.user === USER).length).toBe(2);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ auths: { [reg.host]: { auth: b64(`${USER}:${PASSWORD}`) } } });
  });
});

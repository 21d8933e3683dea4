import { mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoginHost, removeLogin, storeLogin } from '../../../src/registry/credential-store.js';
import { pathWith, writeCredentialHelper } from '../../helpers/credential-helper.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;

describe('storeLogin / removeLogin: Docker config written as docker login writes it', () => {
  const home = mkdtempSync(join(tmpdir(), 'ferry-login-'));
  const env = (dir: string) => ({ DOCKER_CONFIG: dir, XDG_RUNTIME_DIR: join(home, 'run'), XDG_CONFIG_HOME: join(home, 'cfg'), HOME: home });

  it('a new config: directory 0700, file 0600, auths[host].auth = base64(user:password); Docker Hub under its legacy key', async () => {
    const dir = join(home, 'new', 'docker');
    const r = await storeLogin('reg.example:5000', 'alice', 'pw:1', { env: env(dir) });
    expect(r).toEqual({ server: 'reg.example:5000', config: join(dir, 'config.json') });
    await storeLogin('docker.io', 'hub', 'hub-pw', { env: env(dir) });
    expect(read(dir)).toEqual({
      auths: { 'reg.example:5000': { auth: b64('alice:pw:1') }, 'https://index.docker.io/v1/': { auth: b64('hub:hub-pw') } },
    });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('every other key of the file survives, a symlinked config is written through; logout removes every form of the host', async () => {
    const real = join(home, 'real');
    mkdirSync(real);
    const others = {
      psFormat: 'table {{.ID}}',
      proxies: { default: { httpProxy: 'http://p:3128' } },
      plugins: { x: { y: 'z' } },
      auths: { 'keep.example': { auth: b64('k:k'), email: 'k@example' }, 'http://reg.example:5000': { auth: b64('old:old') } },
    };
    writeFileSync(join(real, 'target.json'), JSON.stringify(others));
    const dir = join(home, 'linked');
    mkdirSync(dir);
    symlinkSync(join(real, 'target.json'), join(dir, 'config.json'));
    await storeLogin('reg.example:5000', 'alice', 'pw', { env: env(dir) });
    const after = JSON.parse(readFileSync(join(real, 'target.json'), 'utf8'));
    expect(after).toEqual({ ...others, auths: { ...others.auths, 'reg.example:5000': { auth: b64('alice:pw') } } });
    expect(statSync(join(dir, 'config.json')).isFile()).toBe(true);
    const out = await removeLogin('reg.example:5000', { env: env(dir) });
    expect(out).toMatchObject({ loggedIn: true, erased: false, removedKeys: ['reg.example:5000', 'http://reg.example:5000'] });
    expect(JSON.parse(readFileSync(join(real, 'target.json'), 'utf8'))).toEqual({
      ...others,
      auths: { 'keep.example': others.auths['keep.example'] },
    });
    expect(await removeLogin('reg.example:5000', { env: env(dir) })).toMatchObject({ loggedIn: false, removedKeys: [], elsewhere: [] });
    // podman's file still holding the host is named (ferry leaves it to `podman logout`).
    mkdirSync(join(home, 'cfg', 'containers'), { recursive: true });
    writeFileSync(join(home, 'cfg', 'containers', 'auth.json'), JSON.stringify({ auths: { 'reg.example:5000': { auth: b64('p:p') } } }));
    expect((await removeLogin('reg.example:5000', { env: env(dir) })).elsewhere).toEqual([join(home, 'cfg', 'containers', 'auth.json')]);
  });

  it('a config that is not JSON is left alone: nothing is written over it', async () => {
    const dir = join(home, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"auths": ');
    await expect(storeLogin('reg.example', 'a', 'b', { env: env(dir) })).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{"auths": ');
  });

  describe('with a credential helper', () => {
    const bin = mkdtempSync(join(tmpdir(), 'ferry-helpers-'));
    const savedPath = process.env.PATH;
    const helper = writeCredentialHelper(bin, 'vault');
    beforeAll(() => void (process.env.PATH = pathWith(bin)));
    afterAll(() => void (process.env.PATH = savedPath));

    it('the helper stores the secret and config.json gets auths[host] = {}; logout erases it there', async () => {
      const dir = join(home, 'helper');
      mkdirSync(dir);
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({ credsStore: 'vault', auths: { 'reg.example:5000': { auth: b64('stale:stale') } } }),
      );
      const r = await storeLogin('reg.example:5000', 'alice', 'helper-pw', { env: env(dir) });
      expect(r.helper).toBe('docker-credential-vault');
      expect(helper.stored()).toEqual({ 'reg.example:5000': { Username: 'alice', Secret: 'helper-pw' } });
      expect(read(dir)).toEqual({ credsStore: 'vault', auths: { 'reg.example:5000': {} } });
      expect(readFileSync(join(dir, 'config.json'), 'utf8')).not.toContain(b64('alice:helper-pw'));
      expect(await removeLogin('reg.example:5000', { env: env(dir) })).toMatchObject({
        loggedIn: true,
        erased: true,
        helper: 'docker-credential-vault',
      });
      expect(helper.stored()).toEqual({});
      expect(read(dir)).toEqual({ credsStore: 'vault', auths: {} });
      expect(await removeLogin('reg.example:5000', { env: env(dir) })).toMatchObject({ loggedIn: false, erased: false });
    });
  });
});

describe('parseLoginHost', () => {
  it('HOST, http://HOST, https://HOST; Docker Hub names; paths, user-info and other schemes refused', () => {
    expect(parseLoginHost('Reg.Example:5000')).toEqual({ host: 'reg.example:5000' });
    expect(parseLoginHost('http://127.0.0.1:5000/')).toEqual({ host: '127.0.0.1:5000', scheme: 'http' });
    expect(parseLoginHost('https://index.docker.io/v1/')).toEqual({ host: 'index.docker.io', scheme: 'https' });
    expect(() => parseLoginHost('reg.example/team')).toThrow(/without a path: credentials are kept per registry host/);
    expect(() => parseLoginHost('ftp://reg.example')).toThrow(/ftp:\/\/ is not a registry scheme/);
    let message = '';
    try {
      parseLoginHost('alice:s3cret-pw@reg.example');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(
      /credentials \(a user and password before "@"\) do not belong in the registry HOST; give the user with --username/,
    );
    expect(message).not.toContain('s3cret-pw');
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chainCredentials,
  dockerConfigCredentials,
  normaliseKey,
  registryCredentials,
  staticCredentials,
} from '../../../src/registry/credentials.js';
import { pathWith, writeCredentialHelper } from '../../helpers/credential-helper.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const json = (dir: string, name: string, value: unknown) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), JSON.stringify(value));
  return dir;
};

describe('Docker config credentials (auths)', () => {
  const dir = json(mkdtempSync(join(tmpdir(), 'ferry-docker-')), 'config.json', {
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pw') },
      'repos.example:10050': { username: 'u', password: 'p' },
      'http://127.0.0.1:5000/some/path': { auth: b64('local:pw') },
      'quay.io': { identitytoken: 'refresh-me' },
      'quay.io/team': { auth: b64('team:only') },
      'padded.example': { auth: b64('u:pw\0\0') },
      'http://both.example': { auth: b64('legacy:old') },
      'both.example': { auth: b64('written:new') },
    },
  });
  const creds = dockerConfigCredentials({ configDir: dir });

  it('normalises keys: the legacy Docker Hub key, schemes and the paths after them', async () => {
    expect(await creds('docker.io')).toEqual({ username: 'hubuser', password: 'hub:pw' });
    expect(await creds('registry-1.docker.io')).toEqual({ username: 'hubuser', password: 'hub:pw' });
    expect(await creds('127.0.0.1:5000')).toEqual({ username: 'local', password: 'pw' });
    expect(await creds('repos.example:10050')).toEqual({ username: 'u', password: 'p' });
    expect(await creds('padded.example')).toEqual({ username: 'u', password: 'pw' });
    // The key docker writes (host[:port]) beats a legacy form of the same host, whatever their order in the file.
    expect(await creds('both.example')).toEqual({ username: 'written', password: 'new' });
    expect(await creds('ghcr.io')).toBeUndefined();
    expect(normaliseKey('HTTPS://Repos.Example:10050/v2/')).toBe('repos.example:10050');
  });

  it('a key without a scheme keeps its path: `quay.io/team` is one namespace, never the whole registry', async () => {
    expect(normaliseKey('quay.io/team')).toBe('quay.io/team');
    expect(await creds('quay.io')).toEqual({ identityToken: 'refresh-me' });
  });

  it('is empty, not an error, without a config file', async () => {
    expect(await dockerConfigCredentials({ configDir: join(dir, 'nope') })('docker.io')).toBeUndefined();
  });

  it('a config that is not JSON is one line naming the file, never its text (it may hold a password)', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'ferry-docker-'));
    writeFileSync(join(bad, 'config.json'), '{"auths": {"h": {"auth": "c2VjcmV0LXB3"}}, oops');
    const err = await dockerConfigCredentials({ configDir: bad })('h').catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({
      code: 'AUTH_FAILED',
      message: `${join(bad, 'config.json')} is not valid JSON: fix it or move it away (registry credentials are read from it)`,
    });
  });

  it('puts --username logins before the Docker config', async () => {
    const c = chainCredentials(staticCredentials('repos.example:10050', 'cli', 'x'), creds);
    expect(await c('repos.example:10050')).toEqual({ username: 'cli', password: 'x' });
    expect(await c('docker.io')).toEqual({ username: 'hubuser', password: 'hub:pw' });
  });
});

describe('credential helpers in Docker config (credsStore, credHelpers)', () => {
  const bin = mkdtempSync(join(tmpdir(), 'ferry-helpers-'));
  const savedPath = process.env.PATH;
  const store = writeCredentialHelper(bin, 'store', {
    'reg.example:5000': { Username: 'from-store', Secret: 'store-pw' },
    'https://index.docker.io/v1/': { Username: 'hub', Secret: 'hub-pw' },
    'other.example': { Username: 'from-store', Secret: 'other-pw' },
  });
  const special = writeCredentialHelper(bin, 'special', {
    'other.example': { Username: 'from-special', Secret: 'special-pw' },
    'tok.example': { Username: '<token>', Secret: 'refresh-123' },
  });
  beforeAll(() => void (process.env.PATH = pathWith(bin)));
  afterAll(() => void (process.env.PATH = savedPath));

  const config = json(mkdtempSync(join(tmpdir(), 'ferry-docker-')), 'config.json', {
    credsStore: 'store',
    credHelpers: { 'other.example': 'special', 'tok.example': 'special', 'plain.example': '' },
    auths: { 'reg.example:5000': {}, 'plain.example': { auth: b64('plain:pw') }, 'nothing.example': { auth: b64('ignored:pw') } },
  });

  it('credsStore answers for every registry, asked with host[:port], Docker Hub with https://index.docker.io/v1/', async () => {
    const creds = dockerConfigCredentials({ configDir: config });
    expect(await creds('reg.example:5000')).toEqual({ username: 'from-store', password: 'store-pw' });
    expect(await creds('registry-1.docker.io')).toEqual({ username: 'hub', password: 'hub-pw' });
    expect(await creds('docker.io')).toEqual({ username: 'hub', password: 'hub-pw' });
    // Asked once per server address, however many lookups follow (one helper run per pull, not per blob).
    expect(await creds('reg.example:5000')).toEqual({ username: 'from-store', password: 'store-pw' });
    expect(
      store
        .calls()
        .filter((c) => c.action === 'get')
        .map((c) => c.input),
    ).toEqual(['reg.example:5000', 'https://index.docker.io/v1/']);
  });

  it('credHelpers[host] beats credsStore; an empty credHelpers entry opts the host out (auths then)', async () => {
    const creds = dockerConfigCredentials({ configDir: config });
    expect(await creds('other.example')).toEqual({ username: 'from-special', password: 'special-pw' });
    expect(await creds('plain.example')).toEqual({ username: 'plain', password: 'pw' });
    expect(special.calls().map((c) => c.input)).toEqual(['other.example']);
  });

  it('a helper answering Username "<token>" hands out an identity token (native_store.go)', async () => {
    expect(await dockerConfigCredentials({ configDir: config })('tok.example')).toEqual({ identityToken: 'refresh-123' });
  });

  it('a helper that has nothing means no credentials, and auths are not consulted (as docker: the helper answers alone)', async () => {
    expect(await dockerConfigCredentials({ configDir: config })('nothing.example')).toBeUndefined();
  });
});

describe('containers auth files (podman, skopeo) before Docker config', () => {
  const home = mkdtempSync(join(tmpdir(), 'ferry-home-'));
  const docker = json(join(home, '.docker'), 'config.json', {
    auths: { 'a.example': { auth: b64('docker:a') }, 'b.example': { auth: b64('docker:b') }, 'c.example': { auth: b64('docker:c') } },
  });
  json(join(home, 'run', 'containers'), 'auth.json', {
    auths: { 'a.example': { auth: b64('runtime:a') }, 'quay.io/team': { auth: b64('team:t') } },
  });
  json(join(home, 'cfg', 'containers'), 'auth.json', {
    auths: { 'a.example': { auth: b64('config:a') }, 'b.example': { auth: b64('config:b') }, 'index.docker.io': { auth: b64('hub:h') } },
  });
  const explicit = join(json(join(home, 'explicit'), 'auth.json', { auths: { 'c.example': { identitytoken: 'tok-c' } } }), 'auth.json');
  const env = { HOME: home, XDG_RUNTIME_DIR: join(home, 'run'), XDG_CONFIG_HOME: join(home, 'cfg'), DOCKER_CONFIG: docker };

  it('$XDG_RUNTIME_DIR/containers/auth.json, then $XDG_CONFIG_HOME/containers/auth.json, then Docker config', async () => {
    const creds = registryCredentials({ env });
    expect(await creds('a.example')).toEqual({ username: 'runtime', password: 'a' });
    expect(await creds('b.example')).toEqual({ username: 'config', password: 'b' });
    expect(await creds('c.example')).toEqual({ username: 'docker', password: 'c' });
    expect(await creds('registry-1.docker.io')).toEqual({ username: 'hub', password: 'h' });
    // A repository-scoped key is never used for the whole registry.
    expect(await creds('quay.io')).toBeUndefined();
  });

  it('REGISTRY_AUTH_FILE is the one file read (containers/image #1751: no defaults mixed in)', async () => {
    const creds = registryCredentials({ env: { ...env, REGISTRY_AUTH_FILE: explicit } });
    expect(await creds('c.example')).toEqual({ identityToken: 'tok-c' });
    expect(await creds('a.example')).toBeUndefined();
  });
});

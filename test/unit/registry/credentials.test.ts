import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainCredentials, dockerConfigCredentials, normaliseKey, staticCredentials } from '../../../src/registry/credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Docker config credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-docker-'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pw') },
        'repos.example:10050': { username: 'u', password: 'p' },
        'http://127.0.0.1:5000/some/path': { auth: b64('local:pw') },
        'quay.io': { identitytoken: 'refresh-me' },
      },
      credsStore: 'desktop',
    }),
  );
  const creds = dockerConfigCredentials({ configDir: dir });

  it('normalises keys: the legacy Docker Hub key, schemes and paths', async () => {
    expect(await creds('docker.io')).toEqual({ username: 'hubuser', password: 'hub:pw' });
    expect(await creds('registry-1.docker.io')).toEqual({ username: 'hubuser', password: 'hub:pw' });
    expect(await creds('127.0.0.1:5000')).toEqual({ username: 'local', password: 'pw' });
    expect(await creds('repos.example:10050')).toEqual({ username: 'u', password: 'p' });
    expect(await creds('quay.io')).toEqual({ identityToken: 'refresh-me' });
    expect(await creds('ghcr.io')).toBeUndefined();
    expect(normaliseKey('HTTPS://Repos.Example:10050/v2/')).toBe('repos.example:10050');
  });

  it('is empty, not an error, without a config file', async () => {
    expect(await dockerConfigCredentials({ configDir: join(dir, 'nope') })('docker.io')).toBeUndefined();
  });

  it('puts --username logins before the Docker config', async () => {
    const c = chainCredentials(staticCredentials('repos.example:10050', 'cli', 'x'), creds);
    expect(await c('repos.example:10050')).toEqual({ username: 'cli', password: 'x' });
    expect(await c('docker.io')).toEqual({ username: 'hubuser', password: 'hub:pw' });
  });
});

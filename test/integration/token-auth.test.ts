import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, makeLayer, seedWithSkopeo, type Image } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type TokenServer, startTokenServer } from '../helpers/token-server.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const execFileAsync = promisify(execFile);
const ok = requireTools('docker-registry', 'skopeo', 'openssl');

describe.runIf(ok)('Bearer token auth against a real registry', () => {
  let tokens: TokenServer;
  let reg: TestRegistry;
  let image: Image;

  beforeAll(async () => {
    tokens = await startTokenServer({ username: 'robot', password: 'tok-pw-777' });
    reg = await startRegistry({
      token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPath: tokens.certPath },
    });
    image = makeImage({ layers: [await makeLayer({ seed: 'tok-1', size: 30_000, gzip: true })] });
    const layout = scratch();
    // Seeded by skopeo, an independent client doing its own token flow (async: the token server runs in this process).
    await seedWithSkopeo(layout, image, `${reg.host}/acme/app:v1`, 'robot:tok-pw-777');
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('pulls with Docker config credentials and pushes with --username, through the token flow', async () => {
    const dir = scratch();
    const dockerConfig = join(dir, 'docker');
    mkdirSync(dockerConfig);
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [`http://${reg.host}`]: { auth: Buffer.from('robot:tok-pw-777').toString('base64') } } }),
    );
    const m = writeManifest(dir, `  images: [${reg.host}/acme/app:v1]\n`);
    const pulled = await run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--plain-http', '--json'], {
      env: { DOCKER_CONFIG: dockerConfig },
    });
    expect(pulled.stderr).toBe('');
    expect(pulled.code).toBe(0);
    const lock = JSON.parse(execFileSync('cat', [join(dir, 'b.tar.lock.json')], { encoding: 'utf8' }));
    expect(lock.images[0].digest).toBe(image.manifest.digest);
    expect(tokens.requests.some((r) => r.user === 'robot' && r.scopes.includes('repository:acme/app:pull'))).toBe(true);

    const pushed = await run(
      ['bundle', 'push', join(dir, 'b.tar'), '--registry', `${reg.host}/copy`, '--plain-http', '--username', 'robot', '--password-stdin'],
      { input: 'tok-pw-777\n' },
    );
    expect(pushed.code).toBe(0);
    expect(tokens.requests.some((r) => r.user === 'robot' && r.scopes.includes('repository:copy/acme/app:pull,push'))).toBe(true);
    const { stdout } = await execFileAsync(
      'skopeo',
      ['inspect', '--raw', '--tls-verify=false', '--creds', 'robot:tok-pw-777', `docker://${reg.host}/copy/acme/app:v1`],
      { encoding: 'buffer' },
    );
    expect(Buffer.from(stdout).equals(image.manifest.data)).toBe(true);
  });

  it('anonymous pulls are refused with AUTH_FAILED naming the image', async () => {
    const dir = scratch();
    const m = writeManifest(dir, `  images: [${reg.host}/acme/app:v1]\n`);
    const r = await run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--plain-http'], {
      env: { DOCKER_CONFIG: join(dir, 'none') },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AUTH_FAILED');
    expect(r.stderr).toContain(`${reg.host}/acme/app:v1`);
  });
});

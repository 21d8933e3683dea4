import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Image, makeImage, makeLayer, seed, seedWithSkopeo } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type TokenServer, startTokenServer } from '../helpers/token-server.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'htpasswd', 'openssl', 'skopeo');
// A password with characters that change under URL, JSON and shell encoding.
const USER = 'robot';
const PASSWORD = 'pw"with @&/+% é';

/** Every form in which a secret could leak into text. */
function forms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    encodeURI(secret),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
}
const leaks = (text: string, secrets: string[]) => secrets.flatMap(forms).filter((f) => text.includes(f));

function dockerConfig(dir: string, host: string): string {
  const d = join(dir, 'docker');
  mkdirSync(d);
  writeFileSync(
    join(d, 'config.json'),
    JSON.stringify({ auths: { [`http://${host}`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }),
  );
  return d;
}

/** Pull then push with --debug; returns both stderr streams and the exit codes. */
async function pullAndPush(reg: TestRegistry, image: Image) {
  const dir = scratch();
  const m = writeManifest(dir, `  images: [${reg.host}/acme/app:v1]\n`);
  const bundle = join(dir, 'b.tar');
  const pulled = await run(['bundle', 'pull', m, '-o', bundle, '--cache', join(dir, 'c'), '--plain-http', '--debug', '--json'], {
    env: { DOCKER_CONFIG: dockerConfig(dir, reg.host) },
  });
  const pushed = await run(
    ['bundle', 'push', bundle, '--registry', `${reg.host}/copy`, '--plain-http', '--username', USER, '--password-stdin', '--debug'],
    { input: `${PASSWORD}\n`, env: { DOCKER_CONFIG: join(dir, 'none') } },
  );
  return { pulled, pushed, layer: image.layers[0]?.digest as string };
}

function expectTrace(pulled: { stderr: string; stdout: string }, pushed: { stderr: string }, host: string, layer: string) {
  const h = host.replace(/\./g, '\\.');
  // Pull: the challenge, the manifest, the layer; --json keeps stdout a JSON document.
  expect(pulled.stderr).toMatch(new RegExp(`^http: GET http://${h}/v2/acme/app/manifests/v1 → 401 in \\d+ ms`, 'm'));
  expect(pulled.stderr).toMatch(new RegExp(`^http: (GET|HEAD) http://${h}/v2/acme/app/manifests/v1 → 200 in \\d+ ms, \\d+ bytes$`, 'm'));
  expect(pulled.stderr).toMatch(new RegExp(`^http: GET http://${h}/v2/acme/app/blobs/${layer} → 200 in \\d+ ms, \\d+ bytes$`, 'm'));
  expect(JSON.parse(pulled.stdout).ok).toBe(true);
  // Push: the upload with its byte count; the upload URL's state shown masked.
  expect(pushed.stderr).toMatch(new RegExp(`^http: POST http://${h}/v2/copy/acme/app/blobs/uploads/ → 202 in \\d+ ms$`, 'm'));
  expect(pushed.stderr).toMatch(
    new RegExp(`^http: PUT http://${h}/v2/copy/acme/app/blobs/uploads/\\S+_state=\\*\\*\\*\\S* → 201 in \\d+ ms, sent \\d+ bytes`, 'm'),
  );
  expect(pushed.stderr).toMatch(new RegExp(`^http: PUT http://${h}/v2/copy/acme/app/manifests/v1 → 201 in \\d+ ms, sent \\d+ bytes`, 'm'));
  expect(pushed.stderr).not.toMatch(/_state=(?!\*\*\*)/);
}

describe.runIf(ok)('--debug: an HTTP trace on stderr, credentials never in it', () => {
  let image: Image;
  beforeAll(async () => {
    image = makeImage({ layers: [await makeLayer({ seed: 'debug-trace', size: 30_000, gzip: true })] });
  });

  describe('htpasswd registry', () => {
    let reg: TestRegistry;
    beforeAll(async () => {
      reg = await startRegistry({ htpasswd: { username: USER, password: PASSWORD } });
      await seed(reg, 'acme/app', 'v1', image);
    });
    afterAll(async () => reg?.stop());

    it('pull and push print method, URL, status, time and bytes of every request, and never the password', async () => {
      const { pulled, pushed, layer } = await pullAndPush(reg, image);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(pushed.code, pushed.stderr).toBe(0);
      expectTrace(pulled, pushed, reg.host, layer);
      expect(leaks(pulled.stderr + pulled.stdout + pushed.stderr, [PASSWORD, `${USER}:${PASSWORD}`])).toEqual([]);
      expect(pulled.stderr + pushed.stderr).not.toMatch(/Basic |Bearer |authorization/i);
    });

    it('without --debug there is no trace', async () => {
      const dir = scratch();
      const m = writeManifest(dir, `  images: [${reg.host}/acme/app:v1]\n`);
      const r = await run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--plain-http'], {
        env: { DOCKER_CONFIG: dockerConfig(dir, reg.host) },
      });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/^http: /m);
    });
  });

  describe('token-auth registry', () => {
    let tokens: TokenServer;
    let reg: TestRegistry;
    beforeAll(async () => {
      tokens = await startTokenServer({ username: USER, password: PASSWORD });
      reg = await startRegistry({
        token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPath: tokens.certPath },
      });
      // Seeded by skopeo, doing its own token flow (async: the token server runs in this process).
      const layout = scratch();
      await seedWithSkopeo(layout, image, `${reg.host}/acme/app:v1`, `${USER}:${PASSWORD}`);
    });
    afterAll(async () => {
      await reg?.stop();
      await tokens?.stop();
    });

    it('pull and push trace the token requests (scope shown) and never show the password or a token', async () => {
      const before = tokens.issued.length;
      const { pulled, pushed, layer } = await pullAndPush(reg, image);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(pushed.code, pushed.stderr).toBe(0);
      expectTrace(pulled, pushed, reg.host, layer);
      const realm = tokens.realm.replace(/\./g, '\\.');
      expect(pulled.stderr).toMatch(
        new RegExp(`^http: GET ${realm}\\?service=${tokens.service}&scope=repository:acme/app:pull → 200 in \\d+ ms`, 'm'),
      );
      expect(pushed.stderr).toMatch(
        new RegExp(`^http: GET ${realm}\\?service=${tokens.service}&scope=repository:copy/acme/app:pull,push`, 'm'),
      );
      const handedToFerry = tokens.issued.slice(before);
      expect(handedToFerry.length).toBeGreaterThan(1);
      const signatures = handedToFerry.map((t) => t.split('.')[2] as string);
      expect(
        leaks(pulled.stderr + pulled.stdout + pushed.stderr, [PASSWORD, `${USER}:${PASSWORD}`, ...handedToFerry, ...signatures]),
      ).toEqual([]);
    });
  });
});

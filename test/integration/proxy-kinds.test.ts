import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAptRepo } from '../helpers/apt-repo.js';
import { chartTgz } from '../helpers/charts.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { makeGpgKey } from '../helpers/gpg.js';
import { makeImage, makeLayer, seedWithSkopeo } from '../helpers/images.js';
import { type TestProxy, startProxy } from '../helpers/proxy.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type TokenServer, startTokenServer } from '../helpers/token-server.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'tinyproxy', 'skopeo', 'openssl', 'dpkg-deb', 'apt-ftparchive', 'gpg', 'gzip');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const PROXY_VARS = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'all_proxy', 'no_proxy'];
const env = (vars: Record<string, string>): NodeJS.ProcessEnv => ({ ...Object.fromEntries(PROXY_VARS.map((v) => [v, ''])), ...vars });

// Issue 13: every kind of request (token realm, chart repository, apt archive) honours HTTP_PROXY and NO_PROXY.
describe.runIf(ok)('one pull of every network kind through a real forward proxy (tinyproxy)', () => {
  let tokens: TokenServer;
  let reg: TestRegistry;
  let charts: FileHost;
  let apt: FileHost;
  let proxy: TestProxy;
  let keyring: string;

  beforeAll(async () => {
    tokens = await startTokenServer({ username: 'robot', password: 'tok-pw-proxy' });
    tokens.anonymousPull = true;
    reg = await startRegistry({
      token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPath: tokens.certPath },
    });
    const image = makeImage({ layers: [await makeLayer({ seed: 'proxy-kinds', size: 20_000, gzip: true })] });
    const layout = scratch();
    await seedWithSkopeo(layout, image, `${reg.host}/acme/app:v1`, 'robot:tok-pw-proxy');
    charts = await startFileHost();
    const tgz = chartTgz('demo', { 'Chart.yaml': { apiVersion: 'v2', name: 'demo', version: '1.0.0' }, 'values.yaml': {} });
    charts.files.set('/charts/demo-1.0.0.tgz', tgz);
    charts.files.set(
      '/charts/index.yaml',
      Buffer.from(
        stringify({
          apiVersion: 'v1',
          entries: { demo: [{ apiVersion: 'v2', name: 'demo', version: '1.0.0', digest: hex(tgz), urls: ['demo-1.0.0.tgz'] }] },
        }),
      ),
    );
    const key = await makeGpgKey('Proxy Archive');
    const repo = scratch('ferry-apt-repo-');
    await buildAptRepo(repo, [{ name: 'stable', debs: [{ name: 'hello', version: '1.0-1' }] }]);
    await key.signRelease(join(repo, 'dists', 'stable', 'Release'), join(repo, 'dists', 'stable'));
    apt = await startFileHost();
    for (const name of readdirSync(repo, { recursive: true }) as string[]) {
      const p = join(repo, name);
      if (statSync(p).isFile()) apt.files.set(`/debian/${relative(repo, p)}`, readFileSync(p));
    }
    keyring = join(scratch(), 'keyring.gpg');
    writeFileSync(keyring, key.publicBinary);
    proxy = await startProxy();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([reg?.stop(), tokens?.stop(), charts?.stop(), apt?.stop(), proxy?.stop()]);
  });

  const pullAll = async (vars: NodeJS.ProcessEnv) => {
    const dir = scratch();
    const m = writeManifest(
      dir,
      `  images: [${reg.host}/acme/app:v1]\n` +
        `  charts:\n    - repo: ${charts.url}/charts\n      name: demo\n      version: 1.0.0\n      images: false\n` +
        `  apt:\n    - url: ${apt.url}/debian\n      suites: [stable]\n      components: [main]\n      architectures: [amd64]\n      keyring: ${keyring}\n      packages: [hello]\n`,
    );
    return run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--plain-http', '--no-progress'], { env: vars });
  };
  const tokenHost = () => new URL(tokens.realm).host;
  const aptHost = () => new URL(apt.url).host;

  it('token endpoint, chart index and .tgz, apt Release, Packages and .deb all go through the proxy; NO_PROXY sends one host direct', async () => {
    const mark = proxy.requests().length;
    const r = await pullAll(env({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }));
    expect(r.code, r.stderr).toBe(0);
    const raws = proxy
      .requests()
      .slice(mark)
      .map((q) => q.raw);
    expect(
      raws.some((u) => u.startsWith(`${tokens.realm}?`) || u === tokens.realm),
      raws.join('\n'),
    ).toBe(true);
    expect(raws).toContain(`${charts.url}/charts/index.yaml`);
    expect(raws).toContain(`${charts.url}/charts/demo-1.0.0.tgz`);
    expect(
      raws.some((u) => /^.*\/debian\/dists\/stable\/(InRelease|Release)$/.test(u) && u.startsWith(apt.url)),
      raws.join('\n'),
    ).toBe(true);
    expect(
      raws.some((u) => u.startsWith(`${apt.url}/debian/dists/stable/main/binary-amd64/Packages`)),
      raws.join('\n'),
    ).toBe(true);
    expect(
      raws.some((u) => u.startsWith(`${apt.url}/debian/`) && u.endsWith('.deb')),
      raws.join('\n'),
    ).toBe(true);
    expect(raws.some((u) => u.startsWith(`${reg.url}/v2/acme/app/blobs/`))).toBe(true);

    // NO_PROXY naming the apt archive's host:port: that host goes direct, every other still through the proxy.
    const mark2 = proxy.requests().length;
    const r2 = await pullAll(env({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: aptHost() }));
    expect(r2.code, r2.stderr).toBe(0);
    const targets = new Set(
      proxy
        .requests()
        .slice(mark2)
        .map((q) => q.target),
    );
    expect(targets.has(aptHost())).toBe(false);
    expect(targets).toEqual(new Set([reg.host, tokenHost(), new URL(charts.url).host]));
  }, 120_000);
});

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type Image, makeImage, makeLayer, seed, seededBytes, writeOciLayout } from '../helpers/images.js';
import { type TestProxy, startProxy } from '../helpers/proxy.js';
import { type TestRegistry, freePort, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';
import { selfSignedLoopbackCert } from '../helpers/tls-cert.js';

const ok = requireTools('docker-registry', 'tinyproxy', 'skopeo', 'openssl');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Distinctive enough that finding it anywhere in the output can only mean a leak. */
const PROXY_PASSWORD = 'Pr0xy-Zq7Kx-Wm3Pv';
const PROXY_VARS = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'all_proxy', 'no_proxy'];
/** The test's environment without any proxy variable of the machine's, plus the ones a case sets. */
const env = (vars: Record<string, string>): NodeJS.ProcessEnv => ({ ...Object.fromEntries(PROXY_VARS.map((v) => [v, ''])), ...vars });
const both = (url: string) => env({ HTTPS_PROXY: url, HTTP_PROXY: url });

describe.runIf(ok)('requests through a real forward proxy (tinyproxy)', () => {
  let reg: TestRegistry;
  let tlsReg: TestRegistry;
  let caPath: string;
  let files: FileHost;
  let open: TestProxy;
  let guarded: TestProxy;
  let narrow: TestProxy;
  let secure: TestProxy;
  let image: Image;
  const payload = seededBytes('proxied-file', 40_000);

  beforeAll(async () => {
    const dir = scratch('ferry-proxy-tls-');
    const cert = selfSignedLoopbackCert(dir);
    caPath = cert.certPath;
    const keyPath = cert.keyPath;
    [reg, tlsReg, files] = await Promise.all([
      startRegistry(),
      startRegistry({ tls: { certPath: caPath, keyPath } }),
      startFileHost({ '/f/tool.bin': payload }),
    ]);
    image = makeImage({ layers: [await makeLayer({ seed: 'proxy-1', size: 30_000, gzip: true })] });
    await seed(reg, 'proxied/app', 'v1', image);
    const layout = scratch();
    await writeOciLayout(layout, image, 'v1');
    execFileSync(
      'skopeo',
      ['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${tlsReg.host}/secure/app:v1`],
      { stdio: 'ignore' },
    );
    const tlsPort = Number(tlsReg.host.split(':')[1]);
    [open, guarded, narrow, secure] = await Promise.all([
      startProxy({ connectPorts: [tlsPort] }),
      startProxy({ basicAuth: { user: 'alice', password: PROXY_PASSWORD } }),
      // CONNECT only to 443, as many corporate proxies allow: a tunnel to the TLS registry's port is refused (403).
      startProxy({ connectPorts: [443] }),
      // An https:// proxy, its certificate signed by the same private CA as the TLS registry's.
      startProxy({ tls: { certPath: caPath, keyPath } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([reg?.stop(), tlsReg?.stop(), files?.stop(), open?.stop(), guarded?.stop(), narrow?.stop(), secure?.stop()]);
  });

  const fileHost = () => new URL(files.url).host;
  /** A pull of one image from the plain-HTTP registry and one file, into a fresh cache (so that everything is fetched). */
  const pullBoth = async (vars: NodeJS.ProcessEnv, ...flags: string[]) => {
    const dir = scratch();
    const m = writeManifest(
      dir,
      `  images: [${reg.host}/proxied/app:v1]\n  files:\n    - url: ${files.url}/f/tool.bin\n      sha256: ${hex(payload)}\n`,
    );
    const bundle = join(dir, 'b.tar');
    return {
      bundle,
      ...(await run(['bundle', 'pull', m, '-o', bundle, '--cache', join(dir, 'cache'), '--plain-http', '--no-progress', ...flags], {
        env: vars,
      })),
    };
  };
  /** A pull of the image on the TLS registry (reached through CONNECT when a proxy is set). */
  const pullTls = async (vars: NodeJS.ProcessEnv, ...flags: string[]) => {
    const dir = scratch();
    const m = writeManifest(dir, `  images: [${tlsReg.host}/secure/app:v1]\n`);
    return run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--no-progress', ...flags], { env: vars });
  };
  const since = (p: TestProxy, mark: number) => p.requests().slice(mark);

  it('sends registry and file requests through HTTPS_PROXY / HTTP_PROXY (absolute form for http://), and the bundle verifies', async () => {
    const mark = open.requests().length;
    const r = await pullBoth(both(open.url), '--debug');
    expect(r.code, r.stderr).toBe(0);
    const seen = since(open, mark);
    expect(new Set(seen.map((q) => q.target))).toEqual(new Set([reg.host, fileHost()]));
    // Plain-HTTP targets are not tunnelled: the proxy read every request line in absolute form.
    expect(seen.every((q) => q.method !== 'CONNECT' && q.raw.startsWith('http://'))).toBe(true);
    expect(seen.some((q) => q.raw === `${files.url}/f/tool.bin`)).toBe(true);
    expect(seen.some((q) => q.raw.startsWith(`${reg.url}/v2/proxied/app/blobs/sha256:`))).toBe(true);
    // The trace says so, line by line.
    const traced = r.stderr.split('\n').filter((l) => l.startsWith('http: '));
    expect(traced.length).toBeGreaterThan(3);
    expect(
      traced.every((l) => l.endsWith(`, via proxy ${open.host}`)),
      traced.join('\n'),
    ).toBe(true);
    const v = await run(['bundle', 'verify', r.bundle]);
    expect(v.code, v.stderr).toBe(0);
  });

  it('NO_PROXY host:port sends that registry direct while the file host still goes through the proxy', async () => {
    const mark = open.requests().length;
    const r = await pullBoth(env({ HTTP_PROXY: open.url, NO_PROXY: `example.org, ${reg.host}` }), '--debug');
    expect(r.code, r.stderr).toBe(0);
    const seen = since(open, mark);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((q) => q.target !== fileHost())).toEqual([]);
    expect(r.stderr).toMatch(new RegExp(`http: GET ${reg.url}/v2/proxied/app/manifests/v1 → 200 in \\d+ ms, \\d+ bytes\\n`));
    // The lower-case variable wins, and a CIDR covers both hosts: nothing reaches the proxy.
    const mark2 = open.requests().length;
    const r2 = await pullBoth(env({ HTTP_PROXY: open.url, NO_PROXY: 'nothing.example', no_proxy: '127.0.0.0/8' }));
    expect(r2.code, r2.stderr).toBe(0);
    expect(since(open, mark2)).toEqual([]);
  });

  it('a proxy that wants credentials: they work from the URL, their absence fails naming the proxy, and no output shows them', async () => {
    const withCreds = `http://alice:${PROXY_PASSWORD}@${guarded.host}`;
    const mark = guarded.requests().length;
    const good = await pullBoth(both(withCreds), '--debug');
    expect(good.code, good.stderr).toBe(0);
    expect(new Set(since(guarded, mark).map((q) => q.target))).toEqual(new Set([reg.host, fileHost()]));
    const goodJson = await pullBoth(both(withCreds), '--json', '--debug');
    expect(goodJson.code, goodJson.stderr).toBe(0);

    const none = await pullBoth(both(guarded.url));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`the proxy ${guarded.host} (HTTP_PROXY) wants credentials (HTTP 407) for http://`);
    expect(none.stderr).toContain(`put them in HTTP_PROXY, as user:password@ in front of ${guarded.host}\n`);
    expect(
      none.stderr
        .trim()
        .split('\n')
        .filter((l) => /407/.test(l)),
    ).toHaveLength(1);

    // Wrong ones: tinyproxy answers 401 (not 407) to them, which through a CONNECT tunnel can only be the proxy's.
    const wrongCreds = both(`http://alice:${PROXY_PASSWORD}-wrong@${guarded.host}`);
    const wrongTls = await pullTls(wrongCreds, '--ca-file', caPath);
    expect(wrongTls.code).toBe(1);
    expect(wrongTls.stderr).toContain(
      `the proxy ${guarded.host} (HTTPS_PROXY) rejected the user and password given in HTTPS_PROXY (HTTP 401) for https://${tlsReg.host}/v2/`,
    );
    // To a plain-HTTP request the same 401 reads as the server's own (a 407 would not); it fails all the same.
    const wrong = await pullBoth(wrongCreds, '--json', '--debug');
    expect(wrong.code).toBe(1);

    const basic = Buffer.from(`alice:${PROXY_PASSWORD}`).toString('base64');
    for (const r of [good, goodJson, none, wrongTls, wrong]) {
      for (const leak of [PROXY_PASSWORD, 'Zq7Kx', basic]) {
        expect(r.stdout).not.toContain(leak);
        expect(r.stderr).not.toContain(leak);
      }
    }
  });

  it('an https:// registry is reached through a CONNECT tunnel, with --ca-file and --insecure applied to its TLS inside it', async () => {
    const mark = open.requests().length;
    const trusted = await pullTls(env({ HTTPS_PROXY: open.url }), '--ca-file', caPath, '--json');
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout).images).toBe(1);
    const seen = since(open, mark);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((q) => q.method === 'CONNECT' && q.target === tlsReg.host)).toBe(true);
    // Without the CA the target's certificate is refused: the check happens end to end, through the tunnel.
    const refused = await pullTls(env({ HTTPS_PROXY: open.url }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`the registry at ${tlsReg.host} presented a certificate ferry does not trust`));
    expect((await pullTls(env({ HTTPS_PROXY: open.url }), '--insecure')).code).toBe(0);
    // A proxy that tunnels to port 443 only refuses the registry's port: one line naming proxy, target and fix.
    const denied = await pullTls(env({ HTTPS_PROXY: narrow.url }), '--ca-file', caPath);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      `the proxy ${narrow.host} (HTTPS_PROXY) refused to open a tunnel to ${tlsReg.host} (HTTP 403) for https://${tlsReg.host}/v2/`,
    );
    expect(denied.stderr).toContain('check HTTPS_PROXY / NO_PROXY');
  });

  it('an https:// proxy: --ca-file and --insecure apply to the proxy’s own TLS, and a certificate refused is named as the proxy’s', async () => {
    const mark = secure.requests().length;
    const viaTls = env({ HTTPS_PROXY: secure.url, HTTP_PROXY: secure.url });
    const plain = await pullBoth(viaTls, '--ca-file', caPath);
    expect(plain.code, plain.stderr).toBe(0);
    // No IP address is sent as TLS server name to the proxy (RFC 6066; Node would print a DeprecationWarning).
    expect(plain.stderr).not.toMatch(/Warning/);
    // Through an https:// proxy even plain-HTTP targets are tunnelled (undici sends absolute form to http:// proxies only).
    expect(new Set(since(secure, mark).map((q) => `${q.method} ${q.target}`))).toEqual(
      new Set([`CONNECT ${reg.host}`, `CONNECT ${fileHost()}`]),
    );
    const tls = await pullTls(viaTls, '--ca-file', caPath);
    expect(tls.code, tls.stderr).toBe(0);
    expect(since(secure, mark).some((q) => q.method === 'CONNECT' && q.target === tlsReg.host)).toBe(true);
    const untrusted = await pullBoth(viaTls);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr.trim().split('\n')).toHaveLength(1);
    expect(untrusted.stderr).toMatch(
      new RegExp(
        `the proxy ${secure.host} \\(HTTPS?_PROXY\\) presented a certificate ferry does not trust \\(.+\\): give its CA with --ca-file, or skip the check with --insecure \\(for http://`,
      ),
    );
    expect((await pullBoth(viaTls, '--insecure')).code).toBe(0);
  });

  it('bundle push to a plain-HTTP registry goes through the proxy too', async () => {
    const pulled = await pullBoth(env({}));
    expect(pulled.code, pulled.stderr).toBe(0);
    const mark = open.requests().length;
    const r = await run(['bundle', 'push', pulled.bundle, '--registry', `${reg.host}/copy`, '--plain-http', '--no-progress', '--json'], {
      env: env({ HTTP_PROXY: open.url }),
    });
    expect(r.code, r.stderr).toBe(0);
    const seen = since(open, mark);
    expect(seen.every((q) => q.target === reg.host)).toBe(true);
    expect(seen.some((q) => q.method === 'PUT' && q.raw.startsWith(`${reg.url}/v2/copy/`) && q.raw.includes('/manifests/'))).toBe(true);
    expect(seen.some((q) => q.method === 'POST' && q.raw.includes('/blobs/uploads/'))).toBe(true);
    // The registry holds the image under its new name (asked directly, not through the proxy).
    const got = await fetch(`${reg.url}/v2/copy/proxied/app/manifests/v1`, {
      method: 'HEAD',
      headers: { accept: image.manifest.mediaType },
    });
    expect(got.status).toBe(200);
    expect(got.headers.get('docker-content-digest')).toBe(image.manifest.digest);
  });

  it('a proxy that is not there, or a malformed proxy URL, fails in one line naming it', async () => {
    const port = await freePort();
    const gone = await pullBoth(both(`http://alice:${PROXY_PASSWORD}@127.0.0.1:${port}`));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`cannot reach the proxy 127.0.0.1:${port} (HTTP_PROXY) for http://`);
    expect(gone.stderr).toContain('connection refused; check HTTP_PROXY / NO_PROXY');
    const bad = await pullBoth(env({ HTTPS_PROXY: `http://alice:${PROXY_PASSWORD}@proxy.corp:99999` }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('HTTPS_PROXY is not a proxy URL (http://***@proxy.corp:99999)');
    for (const r of [gone, bad]) expect(r.stderr + r.stdout).not.toContain('Zq7Kx');
  });
});

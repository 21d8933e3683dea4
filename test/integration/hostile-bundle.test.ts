import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildAptRepo } from '../helpers/apt-repo.js';
import { chartTgz } from '../helpers/charts.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { makeGpgKey } from '../helpers/gpg.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'dpkg-deb', 'apt-ftparchive', 'gpg', 'gzip');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const NOTES = Buffer.from('release notes\n'.repeat(50));
const ESC = '\u001b';

/** Every path under `root`, relative to it. */
function tree(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).map((p) => relative(root, join(root, p))).sort();
}

/** The paths a command added under `root` (a scan of the filesystem around the stage directory). */
function added(root: string, before: string[]): string[] {
  const had = new Set(before);
  return tree(root).filter((p) => !had.has(p));
}

/**
 * Bundles an attacker rewrote and re-summed (SHA256SUMS recomputed; a signature is impossible without the key):
 * every enclave-side command must refuse them with exit code 3 before it writes, pushes or prints anything.
 */
describe.runIf(ok)('hostile bundles: the validation gate', () => {
  let host: FileHost;
  let target: TestRegistry;
  let bundle: string;

  beforeAll(async () => {
    const key = await makeGpgKey('Gate Archive');
    const repo = scratch('ferry-gate-apt-');
    await buildAptRepo(repo, [{ name: 'stable', debs: [{ name: 'hello', version: '2.10-3' }] }]);
    await key.signRelease(join(repo, 'dists', 'stable', 'Release'), join(repo, 'dists', 'stable'));
    host = await startFileHost({ '/f/notes.txt': NOTES });
    for (const name of readdirSync(repo, { recursive: true }) as string[]) {
      const p = join(repo, name);
      if (statSync(p).isFile()) host.files.set(`/debian/${name}`, readFileSync(p));
    }
    const tgz = chartTgz('app', { 'Chart.yaml': { apiVersion: 'v2', name: 'app', version: '1.0.0' }, 'values.yaml': {} });
    host.files.set('/charts/app-1.0.0.tgz', tgz);
    host.files.set(
      '/charts/index.yaml',
      Buffer.from(
        stringify({
          apiVersion: 'v1',
          entries: { app: [{ apiVersion: 'v2', name: 'app', version: '1.0.0', digest: hex(tgz), urls: ['app-1.0.0.tgz'] }] },
        }),
      ),
    );
    const dir = scratch('ferry-gate-');
    const keyring = join(dir, 'keyring.gpg');
    writeFileSync(keyring, key.publicBinary);
    const spec = [
      '  files:',
      `    - url: ${host.url}/f/notes.txt`,
      `      sha256: ${hex(NOTES)}`,
      '  charts:',
      `    - repo: ${host.url}/charts`,
      '      name: app',
      '      version: 1.0.0',
      '      images: false',
      '  apt:',
      `    - url: ${host.url}/debian`,
      '      suites: [stable]',
      '      components: [main]',
      '      architectures: [amd64]',
      `      keyring: ${keyring}`,
      '      packages: [hello]',
      '',
    ].join('\n');
    bundle = (await pull(writeManifest(dir, spec), join(dir, 'b.tar'), [])).result.bundle;
    target = await startRegistry();
  }, 180_000);
  afterAll(async () => {
    await host?.stop();
    await target?.stop();
  });

  /** A work directory holding a crafted copy of the bundle; the stage directory is work/stage. */
  function craft(edit: (b: CraftedBundle) => void): { work: string; path: string; stage: string } {
    const work = scratch('ferry-gate-work-');
    const b = new CraftedBundle(bundle);
    edit(b);
    return { work, path: b.write(join(work, 'crafted.tar')), stage: join(work, 'stage') };
  }

  const fileEntry = (b: CraftedBundle) => b.indexEntry((d) => d.annotations['dev.ferry.kind'] === 'file');

  it('the untampered bundle passes the gate: verify, inspect and stage succeed', async () => {
    expect((await run(['bundle', 'verify', bundle])).code).toBe(0);
    expect((await run(['bundle', 'inspect', bundle])).code).toBe(0);
    const stage = join(scratch(), 'stage');
    const r = await run(['bundle', 'stage', bundle, '--dir', stage]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(stage, 'apt', 'dists', 'ferry', 'main', 'binary-amd64', 'Packages'), 'utf8')).toMatch(
      /^Filename: pool\/main\/hello_2\.10-3_amd64\.deb$/m,
    );
  });

  it('a lock architecture of ../ segments makes stage write nothing, inside or outside --dir (exit 3)', async () => {
    const arch = 'x/../../../../../../escaped';
    const { work, path, stage } = craft((b) => b.editJson('ferry.lock.json', (l) => l.apt[0].architectures.push(arch)));
    const before = tree(work);
    const outside = readdirSync(tmpdir()).filter((n) => n.startsWith('escaped'));
    for (const flags of [[], ['--no-verify']]) {
      const r = await run(['bundle', 'stage', path, '--dir', stage, ...flags]);
      expect(r.code).toBe(3);
      if (flags.length > 0) expect(r.stderr).toContain('[UNSAFE_VALUE]');
      expect(added(work, before)).toEqual([]);
    }
    expect(existsSync(join(work, 'escaped'))).toBe(false);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('escaped'))).toEqual(outside);
    const r = await run(['bundle', 'stage', path, '--dir', stage, '--no-verify']);
    expect(r.stderr).toContain(`architectures "${arch}" is not a Debian architecture name`);
  });

  it('a deb file name with ../ never reaches the staged Filename: line (exit 3, nothing written)', async () => {
    const { work, path, stage } = craft((b) =>
      b.editJson('ferry.lock.json', (l) => (l.apt[0].debs[0].file = '../../../../../escaped.deb')),
    );
    const before = tree(work);
    const r = await run(['bundle', 'stage', path, '--dir', stage, '--no-verify']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\[UNSAFE_VALUE\].*file "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/escaped\.deb"/);
    expect(added(work, before)).toEqual([]);
  });

  it('a chart title of ../../escaped/app pushes nothing outside --registry HOST/PREFIX (catalog stays empty)', async () => {
    const catalog = async () => ((await (await fetch(`${target.url}/v2/_catalog`)).json()) as { repositories: string[] }).repositories;
    const chart = (d: any) => d.annotations['dev.ferry.kind'] === 'chart';
    const title = craft((b) => b.editIndexEntry(chart, (d) => (d.annotations['org.opencontainers.image.title'] = '../../escaped/app')));
    let r = await run(['bundle', 'push', title.path, '--registry', `${target.host}/team`, '--plain-http']);
    expect(r.stderr).toMatch(/\[UNSAFE_VALUE\].*"\.\.\/\.\.\/escaped\/app"/);
    expect(r.code).toBe(3);
    // The version annotation is the tag: one that is not SemVer (here with / and ..) is refused the same way.
    const version = craft((b) =>
      b.editIndexEntry(chart, (d) => (d.annotations['dev.ferry.chart.version'] = '1.0.0/../../../../../escaped2/app/manifests/1')),
    );
    r = await run(['bundle', 'push', version.path, '--registry', `${target.host}/team`, '--plain-http', '--no-verify']);
    expect(r.stderr).toContain('[UNSAFE_VALUE]');
    expect(r.code).toBe(3);
    expect(await catalog()).toEqual([]);
  });

  it('a file title with a newline cannot add a line to the staged files/SHA256SUMS (exit 3)', async () => {
    const evil = `notes.txt\n${'0'.repeat(64)}  injected`;
    const { work, path, stage } = craft((b) => {
      const d = fileEntry(b);
      b.editBlob(d.digest, (m) => (m.layers[0].annotations['org.opencontainers.image.title'] = evil));
      b.editIndexEntry(
        (x) => x.annotations['dev.ferry.kind'] === 'file',
        (e) => {
          e.annotations['org.opencontainers.image.title'] = evil;
          e.annotations['org.opencontainers.image.ref.name'] = `file/${evil}`;
        },
      );
      b.editJson('ferry.lock.json', (l) => (l.files[0].name = evil));
    });
    const before = tree(work);
    for (const cmd of [
      ['stage', path, '--dir', stage],
      ['stage', path, '--dir', stage, '--no-verify'],
      ['verify', path],
      ['inspect', path],
    ]) {
      const r = await run(['bundle', ...cmd]);
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).toContain('notes.txt\\n0000');
      expect(r.stdout + r.stderr).not.toContain('notes.txt\n');
    }
    expect(added(work, before)).toEqual([]);
  });

  it('a bundle name with ANSI escapes or a newline reaches neither the terminal (inspect) nor the staged README and Release', async () => {
    const ansi = `it${ESC}]0;owned${ESC}\\${ESC}[2J`;
    const named = (name: string) => (b: CraftedBundle) => {
      b.editJson('ferry-bundle.json', (m) => (m.name = name));
      b.editJson('ferry.lock.json', (l) => (l.bundle.name = name));
    };
    const a = craft(named(ansi));
    for (const cmd of [
      ['inspect', a.path],
      ['inspect', a.path, '--json'],
      ['audit', a.path, '-o', join(a.work, 'r.md')],
    ]) {
      const r = await run(['bundle', ...cmd]);
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).not.toContain(ESC);
      expect(r.stdout + r.stderr).toContain('\\x1b]0;owned');
    }
    const n = craft(named('it\nOrigin: evil'));
    const before = tree(n.work);
    const r = await run(['bundle', 'stage', n.path, '--dir', n.stage]);
    expect(r.code).toBe(3);
    expect(added(n.work, before)).toEqual([]);
  });

  it('a layer title that differs from the lock does not stage the file under another name (exit 3)', async () => {
    const { work, path, stage } = craft((b) =>
      b.editBlob(fileEntry(b).digest, (m) => (m.layers[0].annotations['org.opencontainers.image.title'] = 'other.txt')),
    );
    const before = tree(work);
    const r = await run(['bundle', 'stage', path, '--dir', stage]);
    expect(r.stderr).toMatch(
      /\[UNSAFE_VALUE\].*layer org\.opencontainers\.image\.title "other\.txt" is not what the lock says \("notes\.txt"\)/,
    );
    expect(r.code).toBe(3);
    expect(added(work, before)).toEqual([]);
    expect((await run(['bundle', 'verify', path])).code).toBe(3);
  });

  it('a chart named __proto__ is refused with exit 3, not a crash', async () => {
    const { work, path, stage } = craft((b) => {
      const d = b.indexEntry((x) => x.annotations['dev.ferry.kind'] === 'chart');
      const m = b.blobJson(d.digest);
      b.editBlob(m.config.digest, (c) => (c.name = '__proto__'));
      b.editIndexEntry(
        (x) => x.annotations['dev.ferry.kind'] === 'chart',
        (e) => {
          e.annotations['org.opencontainers.image.title'] = '__proto__';
          e.annotations['org.opencontainers.image.ref.name'] = 'charts/__proto__:1.0.0';
        },
      );
      b.editJson('ferry.lock.json', (l) => (l.charts[0].name = '__proto__'));
    });
    const before = tree(work);
    const r = await run(['bundle', 'stage', path, '--dir', stage]);
    expect(r.stderr).toMatch(/\[UNSAFE_VALUE\].*"__proto__" is not a chart name/);
    expect(r.code).toBe(3);
    expect(added(work, before)).toEqual([]);
  });
});

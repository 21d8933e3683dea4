import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { type FixtureIndexes, type FixtureSuite, aptGet, buildAptRepo, simulatedInstalls } from '../helpers/apt-repo.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'gpg', 'gzip', 'xz', 'apt-get');

const SUITE: FixtureSuite = {
  name: 'stable',
  debs: [
    { name: 'app', version: '1.0-1', depends: 'libfoo (>= 1.1)' },
    { name: 'libfoo', version: '1.1-1' },
    { name: 'unused', version: '1.0-1' },
  ],
};

/** Repositories that publish their index in one form each, as Debian's security archive publishes only Packages.xz. */
const REPOS: Record<string, FixtureIndexes> = {
  xz: { forms: ['xz'] },
  plain: { forms: ['none'] },
  'by-hash': { forms: ['gz'], byHashOnly: true },
};

function serveDir(host: FileHost, root: string, prefix: string): void {
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    const p = join(root, name);
    if (statSync(p).isFile()) host.files.set(`${prefix}/${relative(root, p)}`, readFileSync(p));
  }
}

describe.runIf(ok)('apt indexes in every form a Release lists: xz, gz, plain, by-hash', () => {
  let host: FileHost;
  let archive: GpgKey;
  let keyring: string;

  beforeAll(async () => {
    archive = await makeGpgKey('Fixture Archive');
    host = await startFileHost();
    for (const [name, indexes] of Object.entries(REPOS)) {
      const repo = scratch(`ferry-apt-${name}-`);
      await buildAptRepo(repo, [SUITE], indexes);
      await archive.signRelease(join(repo, 'dists', SUITE.name, 'Release'), join(repo, 'dists', SUITE.name));
      serveDir(host, repo, `/${name}`);
    }
    keyring = join(scratch(), 'archive-keyring.gpg');
    writeFileSync(keyring, archive.publicBinary);
  }, 120_000);
  afterAll(async () => host?.stop());

  const spec = (name: string) =>
    `  apt:\n    - url: ${host.url}/${name}\n      suites: [stable]\n      components: [main]\n      architectures: [amd64]\n      keyring: ${keyring}\n      packages: [app]\n`;

  /** Pulls, verifies and stages the repository, and has real apt install from the staged one. */
  async function roundTrip(name: string): Promise<{ index: { path: string; url: string }; deb: { index: string } }> {
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, spec(name)), join(dir, 'b.tar'), []);
    const src = JSON.parse(readFileSync(result.lockPath, 'utf8')).apt[0];
    expect(src.debs.map((d: { name: string }) => d.name)).toEqual(['app', 'libfoo']);
    expect((await verifyBundle(result.bundle)).problems).toEqual([]);
    const staged = scratch('ferry-apt-staged-');
    await stageBundle({ bundlePath: result.bundle, dir: staged });
    const apt = join(staged, 'apt');
    const line = `deb [trusted=yes] file:${apt} ferry main\n`;
    const state = scratch('ferry-apt-node-');
    writeFileSync(join(state, 'status'), '');
    expect(await aptGet(state, line, join(state, 'status'), ['update'])).not.toMatch(/^(W|E):/m);
    const out = await aptGet(state, line, join(state, 'status'), ['install', '--simulate', '--no-install-recommends', 'app']);
    expect(simulatedInstalls(out)).toEqual(['app 1.0-1', 'libfoo 1.1-1']);
    return { index: src.releases[0].indexes[0], deb: src.debs[0] };
  }

  it('reads an uncompressed-only Packages, records it in the lock, and stages a repository real apt installs from', async () => {
    const { index, deb } = await roundTrip('plain');
    expect(index).toMatchObject({ path: 'main/binary-amd64/Packages', url: `${host.url}/plain/dists/stable/main/binary-amd64/Packages` });
    expect(deb.index).toBe('main/binary-amd64/Packages');
  });

  it('fetches under by-hash/SHA256/ when the Release says Acquire-By-Hash: yes; the bundle keeps the canonical path', async () => {
    const dir = '/by-hash/dists/stable/main/binary-amd64';
    const hashed = [...host.files.keys()].find((k) => k.startsWith(`${dir}/by-hash/SHA256/`)) as string;
    const { index, deb } = await roundTrip('by-hash');
    expect(index).toMatchObject({ path: 'main/binary-amd64/Packages.gz', url: `${host.url}${hashed}` });
    expect(deb.index).toBe('main/binary-amd64/Packages.gz');
    // A mirror without the by-hash tree: the plain path, as apt falls back to it.
    const body = host.files.get(hashed) as Buffer;
    host.files.delete(hashed);
    host.files.set(`${dir}/Packages.gz`, body);
    try {
      const again = await roundTrip('by-hash');
      expect(again.index.url).toBe(`${host.url}${dir}/Packages.gz`);
    } finally {
      host.files.delete(`${dir}/Packages.gz`);
      host.files.set(hashed, body);
    }
  });

  it('reads an xz-only Packages.xz (as Debian security publishes), and stages a repository real apt installs from', async () => {
    const { index, deb } = await roundTrip('xz');
    expect(index).toMatchObject({
      path: 'main/binary-amd64/Packages.xz',
      url: `${host.url}/xz/dists/stable/main/binary-amd64/Packages.xz`,
    });
    expect(deb.index).toBe('main/binary-amd64/Packages.xz');
  });
});

import { execFile } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src/core/errors.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { type FixtureDeb, buildAptRepo, buildDeb } from '../helpers/apt-repo.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { filesUnder } from '../helpers/synthetic-apt.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const run = promisify(execFile);
const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'gpg', 'xz');

const V1: FixtureDeb[] = [
  { name: 'app', version: '1.0-1', depends: 'libfoo (>= 1.0)' },
  { name: 'libfoo', version: '1.0-1' },
  { name: 'tool', version: '2.0-1' },
];
/** What the archive publishes next: new versions of app and libfoo, whose old debs leave the pool; tool stays as it was. */
const NEXT: FixtureDeb[] = [
  { name: 'app', version: '1.0-2', depends: 'libfoo (>= 1.1)' },
  { name: 'libfoo', version: '1.1-1' },
];
const INDEX = 'dists/stable/main/binary-amd64/Packages.xz';

interface LockedDeb {
  name: string;
  version: string;
  architecture: string;
  url: string;
  sha256: string;
}

/**
 * The archive moves on as Debian's does: the new debs join the pool, the superseded ones leave it, the index and
 * the Release are written again (apt-ftparchive) and signed again, so InRelease and Packages.xz change under the
 * same URLs.
 */
async function moveOn(repo: string, key: GpgKey, inRelease = true): Promise<void> {
  const pool = join(repo, 'pool', 'stable');
  for (const d of NEXT) {
    rmSync(join(pool, `${d.name}_${V1.find((v) => v.name === d.name)?.version}_amd64.deb`));
    cpSync(await buildDeb(join(repo, '.work'), d), join(pool, `${d.name}_${d.version}_amd64.deb`));
  }
  rmSync(join(repo, '.work'), { recursive: true, force: true });
  const bin = join(repo, 'dists', 'stable', 'main', 'binary-amd64');
  const { stdout } = await run('apt-ftparchive', ['packages', 'pool/stable'], { cwd: repo });
  writeFileSync(join(bin, 'Packages'), stdout);
  await run('xz', ['-9kf', join(bin, 'Packages')]);
  rmSync(join(bin, 'Packages'));
  const release = await run(
    'apt-ftparchive',
    ['-o', 'APT::FTPArchive::Release::Suite=stable', '-o', 'APT::FTPArchive::Release::Codename=stable', 'release', 'dists/stable'],
    { cwd: repo },
  );
  writeFileSync(join(repo, 'dists', 'stable', 'Release'), release.stdout);
  await key.signRelease(join(repo, 'dists', 'stable', 'Release'), join(repo, 'dists', 'stable'));
  if (!inRelease) rmSync(join(repo, 'dists', 'stable', 'InRelease'));
}

describe.runIf(ok)('pull --lock after the archive moved on: what the cache holds is used, what is gone is named', () => {
  let host: FileHost;
  let key: GpgKey;
  let manifest: string;
  let lockPath: string;
  let lock: { apt: { debs: LockedDeb[]; releases: { url: string; indexes: { url: string }[] }[] }[] };
  let warmCache: string;

  beforeAll(async () => {
    key = await makeGpgKey('Moving Archive');
    const repo = scratch('ferry-moving-repo-');
    await buildAptRepo(repo, [{ name: 'stable', debs: V1 }], { forms: ['xz'] });
    await key.signRelease(join(repo, 'dists/stable/Release'), join(repo, 'dists/stable'));
    host = await startFileHost();
    for (const [path, body] of filesUnder(repo, 'debian')) host.files.set(path, body);
    const dir = scratch();
    const keyring = join(dir, 'keyring.gpg');
    writeFileSync(keyring, key.publicBinary);
    manifest = writeManifest(
      dir,
      `  apt:\n    - url: ${host.url}/debian\n      suites: [stable]\n      components: [main]\n      architectures: [amd64]\n      keyring: ${keyring}\n      packages: [app, tool]\n`,
    );
    warmCache = join(dir, 'cache');
    const first = await pull(manifest, join(dir, 'first.tar'), [], { cacheDir: warmCache });
    lockPath = first.result.lockPath;
    lock = JSON.parse(readFileSync(lockPath, 'utf8'));
    expect(lock.apt[0]?.debs.map((d) => `${d.name} ${d.version}`)).toEqual(['app 1.0-1', 'libfoo 1.0-1', 'tool 2.0-1']);

    await moveOn(repo, key);
    host.files.clear();
    for (const [path, body] of filesUnder(repo, 'debian')) host.files.set(path, body);
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await key?.stop();
  });

  const served = (url: string) => host.files.has(new URL(url).pathname);

  it('the archive did move on: a newer InRelease and index under the same URLs, superseded debs gone from the pool', () => {
    const src = lock.apt[0] as (typeof lock.apt)[number];
    const release = src.releases[0] as (typeof src.releases)[number];
    expect(served(release.url)).toBe(true);
    expect(served((release.indexes[0] as { url: string }).url)).toBe(true);
    expect(src.debs.filter((d) => !served(d.url)).map((d) => d.name)).toEqual(['app', 'libfoo']);
  });

  it('warm cache: the locked InRelease, index and debs come from the cache by sha256, nothing is asked of upstream, and the bundle verifies', async () => {
    const dir = scratch();
    const before = host.log.length;
    const again = await pull(manifest, join(dir, 'again.tar'), [], { cacheDir: warmCache, lockPath });
    expect(host.log.slice(before)).toEqual([]);
    expect(JSON.parse(readFileSync(again.result.lockPath, 'utf8'))).toEqual(lock);
    const v = await verifyBundle(again.result.bundle);
    expect(v.problems).toEqual([]);
  });

  it('cold cache: one error naming exactly the debs upstream no longer serves (name, version, URL), the changed InRelease and index, and the fix', async () => {
    const dir = scratch();
    const err = await pull(manifest, join(dir, 'cold.tar'), [], { cacheDir: join(dir, 'empty-cache'), lockPath }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FerryError);
    const e = err as FerryError;
    expect(e.code).toBe('NOT_FOUND');
    const src = lock.apt[0] as (typeof lock.apt)[number];
    const goneDebs = src.debs.filter((d) => !served(d.url));
    const lines = e.message.split('\n');
    expect(lines[0]).toBe(
      `apt ${host.url}/debian: upstream no longer serves ${goneDebs.length} .debs and 2 metadata files the lock pins, and the cache ${join(dir, 'empty-cache')} does not hold them (the archive moved on):`,
    );
    expect(lines.slice(1, -1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^  dists/stable/InRelease: ${host.url}/debian/dists/stable/InRelease \\(serves another file now \\(sha256:[0-9a-f]{64}, the lock pins sha256:[0-9a-f]{64}\\)\\)$`,
        ),
      ),
      // Longer than the locked index: refused at the size the lock pins, as it downloads.
      expect.stringMatching(new RegExp(`^  ${INDEX}: ${host.url}/debian/${INDEX} \\(serves another file now \\((sha256:|longer than )`)),
      ...goneDebs.map((d) => `  ${d.name} ${d.version} (${d.architecture}): ${d.url} (HTTP 404)`),
    ]);
    expect(lines.at(-1)).toBe(
      'pull again without --lock to resolve against the archive as it is now, or pull with the --cache that holds them',
    );
  });

  it('a cache that lost one deb: only that deb is named, the metadata comes from the cache', async () => {
    const dir = scratch();
    const cache = join(dir, 'cache');
    cpSync(warmCache, cache, { recursive: true });
    const libfoo = (lock.apt[0] as (typeof lock.apt)[number]).debs.find((d) => d.name === 'libfoo') as LockedDeb;
    rmSync(join(cache, 'blobs', 'sha256', libfoo.sha256));
    await expect(pull(manifest, join(dir, 'partly.tar'), [], { cacheDir: cache, lockPath })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `apt ${host.url}/debian: upstream no longer serves 1 .deb the lock pins, and the cache ${cache} does not hold them (the archive moved on):\n  libfoo 1.0-1 (amd64): ${libfoo.url} (HTTP 404)\npull again without --lock to resolve against the archive as it is now, or pull with the --cache that holds them`,
    });
  });
});

describe.runIf(ok)('pull --lock of an archive that signs Release with a detached Release.gpg', () => {
  let host: FileHost;
  let key: GpgKey;
  let repo: string;
  let manifest: string;
  let lockPath: string;
  let cache: string;

  beforeAll(async () => {
    key = await makeGpgKey('Detached Archive');
    repo = scratch('ferry-detached-repo-');
    await buildAptRepo(repo, [{ name: 'stable', debs: V1 }], { forms: ['xz'] });
    await key.signRelease(join(repo, 'dists/stable/Release'), join(repo, 'dists/stable'));
    rmSync(join(repo, 'dists/stable/InRelease'));
    host = await startFileHost();
    for (const [path, body] of filesUnder(repo, 'debian')) host.files.set(path, body);
    const dir = scratch();
    const keyring = join(dir, 'keyring.gpg');
    writeFileSync(keyring, key.publicBinary);
    manifest = writeManifest(
      dir,
      `  apt:\n    - url: ${host.url}/debian\n      suites: [stable]\n      components: [main]\n      architectures: [amd64]\n      keyring: ${keyring}\n      packages: [app]\n`,
    );
    cache = join(dir, 'cache');
    lockPath = (await pull(manifest, join(dir, 'first.tar'), [], { cacheDir: cache })).result.lockPath;
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).apt[0].releases[0].file).toBe('Release');
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await key?.stop();
  });

  it('unchanged archive, cold cache: Release.gpg is fetched again and checked to sign the locked Release', async () => {
    const dir = scratch();
    const { result } = await pull(manifest, join(dir, 'b.tar'), [], { cacheDir: join(dir, 'cache'), lockPath });
    expect((await verifyBundle(result.bundle)).problems).toEqual([]);
  });

  it('moved on, warm cache: the lock pins no sha256 for Release.gpg, so the new one is checked against the cached Release, and refused by name', async () => {
    await moveOn(repo, key, false);
    host.files.clear();
    for (const [path, body] of filesUnder(repo, 'debian')) host.files.set(path, body);
    const dir = scratch();
    await expect(pull(manifest, join(dir, 'b.tar'), [], { cacheDir: cache, lockPath })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(
        `metadata file the lock pins, and the cache ${cache} does not hold them (the archive moved on):\n  dists/stable/Release.gpg: ${host.url}/debian/dists/stable/Release.gpg (no longer signs the Release the lock pins (the archive signed a newer one))\n`,
      ),
    });
  });
});

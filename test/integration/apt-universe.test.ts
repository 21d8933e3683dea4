import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReleaseFile, releasePriority } from '../../src/kinds/apt/release-file.js';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { type FixtureSuite, aptCache, aptGet, buildAptRepo, simulatedInstalls } from '../helpers/apt-repo.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'apt-get', 'apt-cache', 'gpg', 'gzip');

/** The main archive: a release in main and contrib, a backports suite (NotAutomatic + ButAutomaticUpgrades), an experimental one. */
const MAIN: FixtureSuite[] = [
  {
    name: 'stable',
    debs: [
      { name: 'app', version: '1.0-1', depends: 'libfoo (>= 1.0), tool' },
      { name: 'libfoo', version: '1.0-1' },
      { name: 'tool', version: '1.0-1', depends: 'libbar' },
      { name: 'libbar', version: '1.0-1' },
      { name: 'unused', version: '1.0-1' },
      { name: 'addon', version: '1.0-1', depends: 'libfoo (>= 1.0)', component: 'contrib' },
    ],
  },
  {
    name: 'stable-backports',
    notAutomatic: true,
    butAutomaticUpgrades: true,
    debs: [
      { name: 'libfoo', version: '3.0-1' },
      { name: 'tool', version: '2.0-1', depends: 'libbar' },
    ],
  },
  { name: 'experimental', notAutomatic: true, debs: [{ name: 'libbar', version: '9.0-1' }] },
  // Not what Debian publishes, but apt reads it: ButAutomaticUpgrades alone.
  { name: 'upgrades-only', butAutomaticUpgrades: true, debs: [{ name: 'unused', version: '2.0-1' }] },
];
/** Another archive with its own key: newer versions of what the main archive has, and nothing else (a security archive). */
const SECURITY: FixtureSuite[] = [{ name: 'stable-security', debs: [{ name: 'libfoo', version: '1.0-1+deb1u1' }] }];

function serveDir(host: FileHost, root: string): void {
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    const p = join(root, name);
    if (statSync(p).isFile()) host.files.set(`/${relative(root, p)}`, readFileSync(p));
  }
}

interface Deb {
  name: string;
  version: string;
  suite: string;
  index: string;
}
interface Source {
  url: string;
  packages: string[];
  debs: Deb[];
  releases: { suite: string; indexes: { path: string }[] }[];
  conflicts: string[];
}

describe.runIf(ok)('apt: several archives, each with its own keyring, as one package universe', () => {
  const keys: GpgKey[] = [];
  const hosts: FileHost[] = [];
  let mainRepo: string;
  let securityRepo: string;
  let mainRing: string;
  let securityRing: string;

  beforeAll(async () => {
    const [mainKey, securityKey] = await Promise.all([makeGpgKey('Fixture Archive'), makeGpgKey('Fixture Security')]);
    keys.push(mainKey as GpgKey, securityKey as GpgKey);
    mainRepo = scratch('ferry-apt-main-');
    securityRepo = scratch('ferry-apt-security-');
    await Promise.all([buildAptRepo(mainRepo, MAIN), buildAptRepo(securityRepo, SECURITY)]);
    for (const s of MAIN)
      await (mainKey as GpgKey).signRelease(join(mainRepo, 'dists', s.name, 'Release'), join(mainRepo, 'dists', s.name));
    for (const s of SECURITY)
      await (securityKey as GpgKey).signRelease(join(securityRepo, 'dists', s.name, 'Release'), join(securityRepo, 'dists', s.name));
    // Two loopback URLs, one per archive.
    hosts.push(await startFileHost(), await startFileHost());
    serveDir(hosts[0] as FileHost, mainRepo);
    serveDir(hosts[1] as FileHost, securityRepo);
    const rings = scratch();
    mainRing = join(rings, 'main.gpg');
    securityRing = join(rings, 'security.gpg');
    writeFileSync(mainRing, (mainKey as GpgKey).publicBinary);
    writeFileSync(securityRing, (securityKey as GpgKey).publicBinary);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    await Promise.all(keys.map((k) => k.stop()));
  });

  const mainUrl = () => (hosts[0] as FileHost).url;
  const securityUrl = () => (hosts[1] as FileHost).url;
  const entry = (url: string, suites: string[], components: string[], ring: string, extra = '') =>
    `    - url: ${url}\n      suites: [${suites.join(', ')}]\n      components: [${components.join(', ')}]\n      keyring: ${ring}\n${extra}`;
  const lockOf = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { apt: Source[] };
  const carried = (apt: Source[]) => apt.flatMap((s) => s.debs.map((d) => `${d.name} ${d.version}`)).sort();

  /** What real apt installs with the same sources (each signed-by its own keyring) on an empty node. */
  const realApt = async (lines: string, pkgs: string[]) => {
    const state = scratch('ferry-apt-state-');
    writeFileSync(join(state, 'status'), '');
    expect(await aptGet(state, lines, join(state, 'status'), ['update'])).not.toMatch(/^E:/m);
    const out = await aptGet(state, lines, join(state, 'status'), ['install', '--simulate', '--no-install-recommends', ...pkgs]);
    return simulatedInstalls(out);
  };
  const aptLine = (repo: string, ring: string, suite: string, components: string[]) =>
    `deb [signed-by=${ring}] file:${repo} ${suite} ${components.join(' ')}\n`;

  it('takes a dependency from the archive that lists no packages when it has the newer version; verify, stage and real apt agree', async () => {
    const dir = scratch();
    const spec =
      '  apt:\n' +
      entry(mainUrl(), ['stable'], ['main'], mainRing, '      packages: [app]\n') +
      entry(securityUrl(), ['stable-security'], ['main'], securityRing);
    const manifest = writeManifest(dir, spec);
    const { result } = await pull(manifest, join(dir, 'b.tar'), []);
    const { apt } = lockOf(result.lockPath);
    expect(apt.map((s) => s.url)).toEqual([mainUrl(), securityUrl()]);
    expect(apt[1]?.packages).toEqual([]);
    // libfoo from the security archive, under its entry.
    expect(apt[1]?.debs.map((d) => [d.name, d.version, d.suite, d.index])).toEqual([
      ['libfoo', '1.0-1+deb1u1', 'stable-security', 'main/binary-amd64/Packages.gz'],
    ]);
    expect(apt[0]?.debs.map((d) => `${d.name} ${d.version} ${d.suite}`)).toEqual([
      'app 1.0-1 stable',
      'libbar 1.0-1 stable',
      'tool 1.0-1 stable',
    ]);

    const expected = await realApt(
      aptLine(mainRepo, mainRing, 'stable', ['main']) + aptLine(securityRepo, securityRing, 'stable-security', ['main']),
      ['app'],
    );
    expect(carried(apt)).toEqual(expected);
    expect((await verifyBundle(result.bundle)).problems).toEqual([]);
    // inspect and audit read the lock's sources alike: the security deb vouched for by the security archive's Release.
    const inspect = await run(['bundle', 'inspect', result.bundle]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain('libfoo_1.0-1+deb1u1_amd64.deb');
    const audit = await run(['bundle', 'audit', result.bundle, '--format', 'json', '-o', join(dir, 'audit.json')]);
    expect(audit.code, audit.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8')).rows as {
      name: string;
      result: string;
      vouch: { release: string };
    }[];
    expect(rows.filter((r) => r.result === 'ok')).toHaveLength(expected.length);
    expect(rows.find((r) => r.name === 'libfoo')?.vouch.release).toBe(`${securityUrl()}/dists/stable-security/InRelease`);

    const staged = scratch('ferry-apt-staged-');
    await stageBundle({ bundlePath: result.bundle, dir: staged });
    expect(await realApt(`deb [trusted=yes] file:${join(staged, 'apt')} ferry main\n`, ['app'])).toEqual(expected);

    // --lock: the same lock fetched again, every source's debs and metadata; --since that lock: every deb left out.
    const again = await pull(manifest, join(dir, 'again', 'b.tar'), [], { lockPath: result.lockPath });
    expect(lockOf(again.result.lockPath).apt).toEqual(apt);
    expect((await verifyBundle(again.result.bundle)).problems).toEqual([]);
    const delta = await pull(manifest, join(dir, 'delta', 'b.tar'), [], { lockPath: result.lockPath, sincePath: result.lockPath });
    expect(delta.result.omitted).toBe(expected.length);
  });

  it('reads two entries on one archive (another component, and the same one again) as apt does, a duplicate index once', async () => {
    const dir = scratch();
    const spec =
      '  apt:\n' +
      entry(mainUrl(), ['stable'], ['main'], mainRing, '      packages: [app]\n') +
      entry(mainUrl(), ['stable'], ['contrib'], mainRing, '      packages: [addon]\n') +
      entry(securityUrl(), ['stable-security'], ['main'], securityRing, '      packages: []\n') +
      entry(`${mainUrl()}/`, ['stable'], ['main'], mainRing);
    const host = hosts[0] as FileHost;
    const before = host.log.length;
    const { result } = await pull(writeManifest(dir, spec), join(dir, 'b.tar'), []);
    const { apt } = lockOf(result.lockPath);
    expect(apt.map((s) => s.debs.map((d) => d.name))).toEqual([['app', 'libbar', 'tool'], ['addon'], ['libfoo'], []]);
    // The fourth entry repeats the first one's index: read once, by the first; the fourth still checks the Release.
    expect(apt[3]?.releases.map((r) => [r.suite, r.indexes])).toEqual([['stable', []]]);
    const asked = host.log.slice(before).filter((l) => l.path === '/dists/stable/main/binary-amd64/Packages.gz');
    expect(asked).toHaveLength(1);

    const expected = await realApt(
      aptLine(mainRepo, mainRing, 'stable', ['main']) +
        aptLine(mainRepo, mainRing, 'stable', ['contrib']) +
        aptLine(securityRepo, securityRing, 'stable-security', ['main']) +
        aptLine(mainRepo, mainRing, 'stable', ['main']),
      ['app', 'addon'],
    );
    expect(carried(apt)).toEqual(expected);
    expect((await verifyBundle(result.bundle)).problems).toEqual([]);
    const staged = scratch('ferry-apt-staged-');
    await stageBundle({ bundlePath: result.bundle, dir: staged });
    expect(await realApt(`deb [trusted=yes] file:${join(staged, 'apt')} ferry main\n`, ['app', 'addon'])).toEqual(expected);
  });

  it('checks each archive with its own keyring only', async () => {
    const dir = scratch();
    const spec =
      '  apt:\n' +
      entry(mainUrl(), ['stable'], ['main'], mainRing, '      packages: [app]\n') +
      entry(securityUrl(), ['stable-security'], ['main'], mainRing);
    await expect(pull(writeManifest(dir, spec), join(dir, 'b.tar'), [])).rejects.toMatchObject({
      code: 'APT_SIGNATURE',
      message: expect.stringContaining(`${securityUrl()}/dists/stable-security/InRelease: no valid signature by a key in the keyring`),
    });
  });

  it('gives each suite the pin priority real apt gives it, and with dependencies: false takes the version apt would', async () => {
    const lines =
      MAIN.map((s) => aptLine(mainRepo, mainRing, s.name, ['main'])).join('') +
      aptLine(securityRepo, securityRing, 'stable-security', ['main']);
    const state = scratch('ferry-apt-state-');
    writeFileSync(join(state, 'status'), '');
    await aptGet(state, lines, join(state, 'status'), ['update', '-qq']);
    const policy = await aptCache(state, lines, join(state, 'status'), ['policy']);
    for (const s of MAIN) {
      // ` 100 file:/…/repo stable-backports/main amd64 Packages`
      const line = new RegExp(`^\\s*(-?\\d+) file:${mainRepo} ${s.name}/main amd64 Packages$`, 'm').exec(policy);
      const release = parseReleaseFile(readFileSync(join(mainRepo, 'dists', s.name, 'Release'), 'utf8'), s.name);
      expect([s.name, releasePriority(release)]).toEqual([s.name, Number(line?.[1])]);
    }

    const dir = scratch();
    const spec =
      '  apt:\n' +
      entry(
        mainUrl(),
        MAIN.map((s) => s.name),
        ['main'],
        mainRing,
        '      packages: [libfoo, tool, unused, "libbar (>= 2)"]\n      dependencies: false\n',
      ) +
      entry(securityUrl(), ['stable-security'], ['main'], securityRing);
    const { result } = await pull(writeManifest(dir, spec), join(dir, 'b.tar'), []);
    const got = lockOf(result.lockPath).apt.flatMap((s) => s.debs.map((d) => `${d.name} ${d.version}`));
    const policyOf = (name: string) => aptCache(state, lines, join(state, 'status'), ['policy', name]);
    // One apt-cache at a time: they share one cache directory.
    const candidates: string[] = [];
    for (const name of ['libfoo', 'tool', 'unused']) candidates.push(`${name} ${/^\s*Candidate: (\S+)$/m.exec(await policyOf(name))?.[1]}`);
    // libbar (>= 2): its candidate (1.0-1) does not allow it; the one version that does is experimental's, at priority 1.
    const libbar = await policyOf('libbar');
    expect(libbar).toMatch(/^\s*Candidate: 1\.0-1$/m);
    expect(libbar).toMatch(/^\s+9\.0-1 1\n\s+1 file:\S+ experimental\/main amd64 Packages$/m);
    expect(got.sort()).toEqual([...candidates, 'libbar 9.0-1'].sort());
  });

  it('leaves backports (NotAutomatic, ButAutomaticUpgrades) and experimental (NotAutomatic) versions out of the closure, as apt does', async () => {
    const dir = scratch();
    const spec =
      '  apt:\n' +
      entry(mainUrl(), ['stable', 'stable-backports', 'experimental'], ['main'], mainRing, '      packages: [app]\n') +
      entry(securityUrl(), ['stable-security'], ['main'], securityRing);
    const { result } = await pull(writeManifest(dir, spec), join(dir, 'b.tar'), []);
    const expected = await realApt(
      ['stable', 'stable-backports', 'experimental'].map((s) => aptLine(mainRepo, mainRing, s, ['main'])).join('') +
        aptLine(securityRepo, securityRing, 'stable-security', ['main']),
      ['app'],
    );
    expect(expected).toContain('libfoo 1.0-1+deb1u1');
    expect(carried(lockOf(result.lockPath).apt)).toEqual(expected);
  });
});

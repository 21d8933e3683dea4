import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AptAnswer,
  type AptNode,
  aptNode,
  lockedDebs,
  reportedProblems,
  serveRepo,
  setDiff,
  stagedAnswer,
  unreportedRemovals,
} from '../helpers/apt-parity.js';
import { type FixtureDeb, type FixtureSuite, aptCache, buildAptRepo, dpkgStatus } from '../helpers/apt-repo.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'apt-get', 'gpg', 'gzip');

/**
 * Fixture archives for the parts of apt's answer that the real archive shows only by chance: candidates from suites
 * marked NotAutomatic (experimental-like) and NotAutomatic + ButAutomaticUpgrades (backports-like); installed packages
 * an install breaks (an exact-version dependency, a Breaks); other binaries of an upgraded source package
 * (APT::Get::Upgrade-By-Source-Package); the order apt tries the providers of a virtual package in (apt-pkg/depcache.cc
 * CompareProviders: installed first, a real package of that name, Essential, Important/Protected, Priority, then the
 * package apt's cache holds later); and a requested virtual package. Each case is ferry's lock against real
 * `apt-get install --simulate` (apt 2.6) on the same archive and the same dpkg status, computed in the same run, and
 * the repository ferry stages installs the same set.
 */
const d = (name: string, version: string, more: Partial<FixtureDeb> = {}): FixtureDeb => ({ name, version, ...more });

const STABLE: FixtureDeb[] = [
  // (1) candidates across suites
  d('plain', '1.0-1'),
  d('exp-kept', '1.0-1'),
  d('uses-exp', '1.0-1', { depends: 'libexp' }),
  d('bpo-up', '1.0-1'),
  d('bpo-stays', '1.1-1'),
  d('uses-bpo', '1.0-1', { depends: 'libbpo (>= 2.0)' }),
  d('libbpo', '1.0-1'),
  // (2) installed packages an install breaks
  d('libb', '2.0-1'),
  d('app-a', '2.0-1', { depends: 'libb (= 2.0-1)' }),
  d('newc', '2.0-1', { breaks: 'oldd (<< 2)' }),
  d('oldd', '2.0-1'),
  d('libr', '2.0-1'),
  // (3) binaries of one source package: plain, binNMU (Source: bar (2.0-1)), and a binary left at an older source version
  d('foo-bin', '1.1-1', { source: 'foo', depends: 'libfoo1 (>= 1.0)' }),
  d('libfoo1', '1.1-1', { source: 'foo' }),
  d('bar-bin', '2.0-1+b1', { source: 'bar (2.0-1)' }),
  d('libbar1', '2.0-1+b1', { source: 'bar (2.0-1)' }),
  d('bar-data', '2.0-1', { source: 'bar', arch: 'all' }),
  d('baz-bin', '3.0-1', { source: 'baz' }),
  d('baz-doc', '2.0-1', { source: 'baz', arch: 'all' }),
  d('qux-tools', '2.0-1', { source: 'qux' }),
  d('libqux1', '2.0-1', { source: 'qux' }),
  // (4) providers apt orders otherwise than by name
  d('needs-prio', '1.0-1', { depends: 'prio-virt' }),
  d('aaa-optional', '1.0-1', { provides: 'prio-virt', priority: 'optional' }),
  d('zzz-required', '1.0-1', { provides: 'prio-virt', priority: 'required' }),
  d('needs-std', '1.0-1', { depends: 'std-virt' }),
  d('aaa-extra', '1.0-1', { provides: 'std-virt', priority: 'extra' }),
  d('zzz-standard', '1.0-1', { provides: 'std-virt', priority: 'standard' }),
  d('needs-ess', '1.0-1', { depends: 'ess-virt' }),
  d('aaa-plain-e', '1.0-1', { provides: 'ess-virt', priority: 'optional' }),
  d('zzz-essential', '1.0-1', { provides: 'ess-virt', priority: 'optional', essential: true }),
  d('needs-prot', '1.0-1', { depends: 'prot-virt' }),
  d('aaa-plain-p', '1.0-1', { provides: 'prot-virt', priority: 'optional' }),
  d('zzz-protected', '1.0-1', { provides: 'prot-virt', priority: 'optional', protected: true }),
  d('needs-tie', '1.0-1', { depends: 'tie-virt' }),
  d('aaa-tie', '1.0-1', { provides: 'tie-virt', priority: 'optional' }),
  d('zzz-tie', '1.0-1', { provides: 'tie-virt', priority: 'optional' }),
  d('needs-inst', '1.0-1', { depends: 'inst-virt' }),
  d('aaa-new', '1.0-1', { provides: 'inst-virt', priority: 'optional' }),
  d('zzz-old', '2.0-1', { provides: 'inst-virt', priority: 'optional' }),
  d('needs-real', '1.0-1', { depends: 'realname' }),
  d('realname', '1.0-1', { priority: 'optional' }),
  d('aaa-realprov', '1.0-1', { provides: 'realname', priority: 'required' }),
  d('needs-alt', '1.0-1', { depends: 'alt-a | alt-b (>= 2.0)' }),
  d('alt-a', '1.0-1'),
  d('alt-b', '2.0-1'),
  // (6) with a second archive that only supplies candidates
  d('uses-sec', '1.0-1', { depends: 'libsec (>= 1.0), sec-only' }),
  d('libsec', '1.0-1'),
  // (5) requested virtual packages
  d('two-prov-a', '1.0-1', { provides: 'two-virt' }),
  d('two-prov-b', '1.0-1', { provides: 'two-virt' }),
  d('only-prov', '1.0-1', { provides: 'one-virt' }),
];
const SUITES: FixtureSuite[] = [
  { name: 'stable', debs: STABLE },
  {
    name: 'experimental',
    release: { NotAutomatic: 'yes' },
    debs: [d('plain', '2.0-1'), d('exp-only', '1.0-1'), d('libexp', '1.0-1'), d('exp-kept', '2.1-1')],
  },
  {
    name: 'backports',
    release: { NotAutomatic: 'yes', ButAutomaticUpgrades: 'yes' },
    debs: [d('bpo-up', '2.1-1~bpo1'), d('bpo-stays', '2.0-1~bpo1'), d('bpo-only', '1.0-1~bpo1'), d('libbpo', '2.0-1~bpo1')],
  },
];

/** A second archive, signed by its own key, that the manifest lists no packages from. */
const SECURITY: FixtureSuite[] = [{ name: 'stable-security', debs: [d('libsec', '1.1-1'), d('sec-only', '1.0-1')] }];

/** The nodes' dpkg statuses, one per case. */
const CANDIDATE_NODE = [d('exp-kept', '2.0-1'), d('bpo-up', '2.0-1~bpo1'), d('bpo-stays', '1.0-1')];
const SOURCE_NODE = [
  d('foo-bin', '1.0-1', { source: 'foo', depends: 'libfoo1 (>= 1.0)' }),
  d('libfoo1', '1.0-1', { source: 'foo' }),
  d('bar-bin', '1.0-1', { source: 'bar' }),
  d('libbar1', '1.0-1', { source: 'bar' }),
  d('bar-data', '1.0-1', { source: 'bar', arch: 'all' }),
  d('baz-bin', '1.0-1', { source: 'baz' }),
  d('baz-doc', '1.0-1', { source: 'baz', arch: 'all' }),
  d('libqux1', '1.0-1', { source: 'qux' }),
];
const PROVIDER_NODE = [d('zzz-old', '1.0-1', { priority: 'optional' }), d('alt-b', '1.0-1')];

const CANDIDATE_REQUESTS = ['plain', 'exp-only', 'uses-exp', 'exp-kept', 'bpo-up', 'bpo-stays', 'bpo-only'];
const PROVIDER_REQUESTS = ['needs-prio', 'needs-std', 'needs-ess', 'needs-prot', 'needs-tie', 'needs-inst', 'needs-real', 'needs-alt'];

describe.runIf(ok)('apt parity on fixture archives: ferry equals apt-get install --simulate', () => {
  let host: FileHost;
  let archive: GpgKey;
  let security: GpgKey;
  let keyring: string;
  let node: AptNode;
  let securityKeyring: string;
  let securityRepo: string;
  let repo: string;

  beforeAll(async () => {
    [archive, security] = await Promise.all([makeGpgKey('Parity Archive'), makeGpgKey('Parity Security')]);
    repo = scratch('ferry-apt-parity-');
    securityRepo = scratch('ferry-apt-parity-security-');
    await Promise.all([buildAptRepo(repo, SUITES), buildAptRepo(securityRepo, SECURITY)]);
    for (const s of SUITES) await archive.signRelease(join(repo, 'dists', s.name, 'Release'), join(repo, 'dists', s.name));
    for (const s of SECURITY)
      await security.signRelease(join(securityRepo, 'dists', s.name, 'Release'), join(securityRepo, 'dists', s.name));
    host = await startFileHost();
    serveRepo(host, repo, '/parity');
    serveRepo(host, securityRepo, '/parity-security');
    keyring = join(scratch(), 'parity-keyring.gpg');
    writeFileSync(keyring, archive.publicBinary);
    securityKeyring = join(scratch(), 'parity-security-keyring.gpg');
    writeFileSync(securityKeyring, security.publicBinary);
    node = aptNode(SUITES.map((s) => `deb [signed-by=${keyring}] file:${repo} ${s.name} main\n`).join(''));
    expect(await node.update()).not.toMatch(/^(W|E):/m);
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await archive?.stop();
    await security?.stop();
  });

  const manifest = (packages: string[], installed: boolean) =>
    `  apt:\n    - url: ${host.url}/parity\n      suites: [${SUITES.map((s) => s.name).join(', ')}]\n      components: [main]\n` +
    `      architectures: [amd64]\n      keyring: ${keyring}\n      packages: [${packages.join(', ')}]\n` +
    (installed ? '      installed: status\n' : '');

  /**
   * Real apt on the node first, and what the case is built to show checked on apt's answer (`facts`: so the fixture
   * keeps meaning what it says); then ferry's lock against it, and apt from the staged repository alone.
   */
  async function parity(packages: string[], installed: FixtureDeb[], facts: (apt: AptAnswer) => void) {
    const status = installed.length ? dpkgStatus(installed) : '';
    const apt = await node.simulate(packages, { status, recommends: false });
    facts(apt);
    const dir = scratch('ferry-apt-parity-pull-');
    try {
      if (status) writeFileSync(join(dir, 'status'), status);
      const { result, events } = await pull(writeManifest(dir, manifest(packages, status !== '')), join(dir, 'b.tar'), []);
      expect(setDiff(lockedDebs(result.lockPath), apt.installs), `ferry's debs against apt's Inst lines`).toEqual({
        onlyFerry: [],
        onlyApt: [],
      });
      expect(unreportedRemovals(apt.removals, reportedProblems(result.lockPath, events)), `apt removes; ferry does not say so`).toEqual([]);
      const staged = await stagedAnswer(result.bundle, packages, { status, recommends: false });
      expect(staged.updateOut).not.toMatch(/^(W|E):/m);
      expect(setDiff(staged.installs, apt.installs), 'apt from the staged repository against apt from the archive').toEqual({
        onlyFerry: [],
        onlyApt: [],
      });
      expect(staged.removals).toEqual(apt.removals);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** A pull that should fail: its error, or what it resolved to when it did not fail. */
  const pullOutcome = async (spec: string): Promise<unknown> => {
    const dir = scratch('ferry-apt-parity-pull-');
    try {
      return await pull(writeManifest(dir, spec), join(dir, 'b.tar'), []).then(
        ({ result }) => `resolved without an error: ${lockedDebs(result.lockPath).join(', ')}`,
        (err: unknown) => err,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  /** apt's refusal (exit 100) as it prints it, for a request it cannot satisfy. */
  const aptRefuses = (packages: string[]) =>
    node.simulate(packages, { status: '', recommends: false }).then(
      (a) => `unexpectedly installed: ${a.installs.join(', ')}`,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );

  describe('(1) candidates from NotAutomatic and ButAutomaticUpgrades suites', () => {
    it('on an empty node: the stable version where there is one, experimental or backports only where nothing else has it', async () => {
      await parity(CANDIDATE_REQUESTS, [], (apt) => {
        // the facts of apt's policy these fixtures are built on (apt-pkg/policy.cc: NotAutomatic 1, ButAutomaticUpgrades 100)
        expect(apt.installs).toEqual(expect.arrayContaining(['plain 1.0-1', 'exp-only 1.0-1', 'libexp 1.0-1', 'bpo-only 1.0-1~bpo1']));
        expect(apt.installs).toEqual(expect.arrayContaining(['exp-kept 1.0-1', 'bpo-up 1.0-1', 'bpo-stays 1.1-1']));
      });
    });

    it('on a node with packages from them: one installed from backports is upgraded from backports, one from experimental is kept', async () => {
      await parity(CANDIDATE_REQUESTS, CANDIDATE_NODE, (apt) => {
        expect(apt.installs).toContain('bpo-up 2.1-1~bpo1');
        expect(apt.installs).toContain('bpo-stays 1.1-1');
        expect(apt.installs.some((l) => l.startsWith('exp-kept '))).toBe(false);
      });
    });

    it('a dependency only a backports version satisfies is refused, as apt refuses it (the candidate is the stable one)', async () => {
      expect(await aptRefuses(['uses-bpo'])).toMatch(/uses-bpo : Depends: libbpo \(>= 2\.0\) but 1\.0-1 is to be installed/);
      expect(await pullOutcome(manifest(['uses-bpo'], false))).toMatchObject({
        code: 'APT_UNSATISFIABLE',
        message: expect.stringContaining('libbpo (>= 2.0)'),
      });
    });
  });

  describe('(2) installed packages the install breaks', () => {
    it('an exact-version dependency: requesting libb upgrades app-a with it', async () => {
      await parity(['libb'], [d('app-a', '1.0-1', { depends: 'libb (= 1.0-1)' }), d('libb', '1.0-1')], (apt) => {
        expect(apt.installs).toEqual(['app-a 2.0-1', 'libb 2.0-1']);
      });
    });

    it('a Breaks: installing newc upgrades the oldd it breaks', async () => {
      await parity(['newc'], [d('oldd', '1.0-1')], (apt) => {
        expect(apt.installs).toEqual(['newc 2.0-1', 'oldd 2.0-1']);
      });
    });

    it('an installed package nothing can upgrade is removed by apt, and ferry says so', async () => {
      await parity(['libr'], [d('stuck-e', '1.0-1', { depends: 'libr (= 1.0-1)' }), d('libr', '1.0-1')], (apt) => {
        expect(apt.removals).toEqual(['stuck-e 1.0-1']);
      });
    });
  });

  describe('(3) APT::Get::Upgrade-By-Source-Package', () => {
    it('upgrades the installed binaries of the same source at the same source version, binNMUs included', async () => {
      await parity(['foo-bin', 'bar-bin', 'baz-bin', 'qux-tools'], SOURCE_NODE, (apt) => {
        expect(apt.installs).toEqual(expect.arrayContaining(['libfoo1 1.1-1', 'libbar1 2.0-1+b1', 'bar-data 2.0-1', 'libqux1 2.0-1']));
        // baz-doc's candidate was built from baz 2.0-1, not the 3.0-1 of baz-bin: left alone
        expect(apt.installs.some((l) => l.startsWith('baz-doc '))).toBe(false);
      });
    });
  });

  describe('(4) the provider apt chooses for a virtual package', () => {
    it('on an empty node: Essential, Protected, then Priority, then the later package; a real package of that name first', async () => {
      await parity(PROVIDER_REQUESTS, [], (apt) => {
        expect(apt.installs).toEqual(
          expect.arrayContaining([
            'zzz-required 1.0-1',
            'zzz-standard 1.0-1',
            'zzz-essential 1.0-1',
            'zzz-protected 1.0-1',
            'realname 1.0-1',
          ]),
        );
      });
    });

    it('on a node that has one provider at an older version, and b of `a | b (>= 2.0)` at an older version: apt upgrades them', async () => {
      await parity(PROVIDER_REQUESTS, PROVIDER_NODE, (apt) => {
        expect(apt.installs).toEqual(expect.arrayContaining(['zzz-old 2.0-1', 'alt-b 2.0-1']));
        expect(apt.installs.some((l) => l.startsWith('aaa-new ') || l.startsWith('alt-a '))).toBe(false);
      });
    });
  });

  describe('(5) a requested virtual package', () => {
    it('with several providers is refused, naming them, as apt refuses it; with one, that one is installed', async () => {
      const refused = await aptRefuses(['two-virt']);
      expect(refused).toMatch(/Package two-virt is a virtual package provided by:/);
      expect(refused).toMatch(/two-prov-a 1\.0-1/);
      expect(refused).toMatch(/two-prov-b 1\.0-1/);
      expect(await pullOutcome(manifest(['two-virt'], false))).toMatchObject({
        code: 'APT_UNSATISFIABLE',
        message: expect.stringMatching(/two-virt is a virtual package provided by: two-prov-a 1\.0-1, two-prov-b 1\.0-1/),
      });
      await parity(['one-virt'], [], (apt) => expect(apt.installs).toEqual(['only-prov 1.0-1']));
    });
  });

  describe('(6) two archives, each with its own keyring, as one package universe', () => {
    it('an entry listing no packages supplies candidates and dependencies; each deb is recorded under its archive', async () => {
      const both = aptNode(
        [
          ...SUITES.map((s) => `deb [signed-by=${keyring}] file:${repo} ${s.name} main\n`),
          ...SECURITY.map((s) => `deb [signed-by=${securityKeyring}] file:${securityRepo} ${s.name} main\n`),
        ].join(''),
      );
      expect(await both.update()).not.toMatch(/^(W|E):/m);
      const apt = await both.simulate(['uses-sec'], { status: '', recommends: false });
      expect(apt.installs).toEqual(['libsec 1.1-1', 'sec-only 1.0-1', 'uses-sec 1.0-1']);
      const spec =
        manifest(['uses-sec'], false) +
        `    - url: ${host.url}/parity-security\n      suites: [stable-security]\n      components: [main]\n` +
        `      keyring: ${securityKeyring}\n`;
      const dir = scratch('ferry-apt-parity-pull-');
      try {
        const { result } = await pull(writeManifest(dir, spec), join(dir, 'b.tar'), []);
        expect(setDiff(lockedDebs(result.lockPath), apt.installs)).toEqual({ onlyFerry: [], onlyApt: [] });
        const lock = JSON.parse(readFileSync(result.lockPath, 'utf8')) as { apt: { url: string; debs: { name: string }[] }[] };
        expect(lock.apt.map((e) => [e.url, e.debs.map((x) => x.name)])).toEqual([
          [`${host.url}/parity`, ['uses-sec']],
          [`${host.url}/parity-security`, ['libsec', 'sec-only']],
        ]);
        const staged = await stagedAnswer(result.bundle, ['uses-sec'], { status: '', recommends: false });
        expect(staged.installs).toEqual(apt.installs);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('keeps apt honest: the fixture archive is what apt reads (three suites, their pins)', async () => {
    const policy = await aptCache(node.state, node.sources, join(node.state, 'status'), ['policy']);
    expect(policy).toMatch(/^\s*1 file:.* experimental\/main amd64 Packages$/m);
    expect(policy).toMatch(/^\s*100 file:.* backports\/main amd64 Packages$/m);
    expect(policy).toMatch(/^\s*500 file:.* stable\/main amd64 Packages$/m);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeb822 } from '../../src/kinds/apt/deb822.js';
import { type IndexFile, type Package, packageFromStanza } from '../../src/kinds/apt/package-index.js';
import { parseRelations } from '../../src/kinds/apt/relations.js';
import { resolveClosure } from '../../src/kinds/apt/resolve-closure.js';
import { type FixtureSuite, aptGet, buildAptRepo, simulatedInstalls } from '../helpers/apt-repo.js';
import { requireTools } from '../helpers/tools.js';
import { scratch } from './ferry-env.js';

const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'apt-get', 'gzip');

/** Epochs and tildes, alternatives, virtual packages (one versioned), Pre-Depends, an unneeded package, two suites. */
const SUITES: FixtureSuite[] = [
  {
    name: 'stable',
    debs: [
      {
        name: 'app',
        version: '1.0-1',
        preDepends: 'base-init',
        depends: 'libfoo (>= 1.2), logger | syslogd, httpd-virtual (>= 2.0)',
        recommends: 'docs-pkg',
      },
      { name: 'libfoo', version: '1.1-1' },
      { name: 'libfoo', version: '1.2~rc1-1' },
      { name: 'rsyslog', version: '8.0-1', provides: 'syslogd' },
      { name: 'tinyhttpd', version: '2.0-1', provides: 'httpd-virtual (= 2.0)' },
      { name: 'oldhttpd', version: '1.0-1', provides: 'httpd-virtual' },
      { name: 'base-init', version: '3.0-1', depends: 'libc-fake (>= 2.30)' },
      { name: 'libc-fake', version: '2.36-1' },
      { name: 'docs-pkg', version: '1.0-1', arch: 'all' },
      { name: 'unused', version: '1.0-1', depends: 'libc-fake' },
      { name: 'tool', version: '1.0-1', depends: 'libfoo (<< 2.0) | libbar, rsyslog | syslogd' },
      { name: 'libbar', version: '1.0-1' },
      { name: 'jq', version: '1.6-2', depends: 'libjq1 (= 1.6-2)' },
      { name: 'libjq1', version: '1.6-2', depends: 'libonig5 (>= 6.1)' },
      { name: 'libonig5', version: '6.9.8-1' },
    ],
  },
  {
    name: 'updates',
    debs: [
      { name: 'libfoo', version: '1:0.9-1' }, // the epoch makes it the newest
      { name: 'jq', version: '1.6-3', depends: 'libjq1 (= 1.6-3)' },
      { name: 'libjq1', version: '1.6-3', depends: 'libonig5 (>= 6.1)' },
    ],
  },
];

describe.runIf(ok)('apt dependency closure, checked against apt-get install --simulate', () => {
  let repo: string;
  const files: IndexFile[] = [];

  beforeAll(async () => {
    repo = scratch('ferry-apt-');
    await buildAptRepo(repo, SUITES);
    for (const s of SUITES) {
      const text = gunzipSync(readFileSync(join(repo, 'dists', s.name, 'main/binary-amd64/Packages.gz'))).toString('utf8');
      files.push({ packages: parseDeb822(text).map((st) => packageFromStanza(st, `${s.name} main`) as Package), priority: 500 });
    }
  }, 120_000);

  const sources = () => SUITES.map((s) => `deb [trusted=yes] file:${repo} ${s.name} main\n`).join('');
  const apt = async (status: string, pkgs: string[], recommends: boolean) => {
    const state = scratch('ferry-apt-state-');
    const statusFile = join(state, 'status');
    writeFileSync(statusFile, status);
    await aptGet(state, sources(), statusFile, ['update', '-qq']);
    const out = await aptGet(state, sources(), statusFile, [
      'install',
      '--simulate',
      '-qq',
      recommends ? '--install-recommends' : '--no-install-recommends',
      ...pkgs,
    ]);
    return simulatedInstalls(out);
  };
  const ours = (installed: Package[], pkgs: string[], recommends: boolean) =>
    resolveClosure({
      files,
      architecture: 'amd64',
      installed,
      requests: pkgs.flatMap((p) => parseRelations(p).flat()),
      recommends,
    }).install.map((p) => `${p.name} ${p.version}`);

  it('equals apt on an empty node, with and without Recommends', async () => {
    for (const recommends of [false, true]) {
      const expected = await apt('', ['app', 'jq', 'tool'], recommends);
      expect(ours([], ['app', 'jq', 'tool'], recommends)).toEqual(expected);
      expect(expected).toContain('libfoo 1:0.9-1');
      expect(expected.length).toBeGreaterThanOrEqual(recommends ? 12 : 11);
      expect(expected.some((l) => l.startsWith('unused '))).toBe(false);
    }
  });

  it('equals apt on a node that already has some packages (dpkg status)', async () => {
    const status =
      'Package: libc-fake\nStatus: install ok installed\nVersion: 2.36-1\nArchitecture: amd64\n\nPackage: rsyslog\nStatus: install ok installed\nVersion: 8.0-1\nArchitecture: amd64\nProvides: syslogd\n\n';
    const installed = parseDeb822(status).map((s) => packageFromStanza(s) as Package);
    const expected = await apt(status, ['app', 'tool'], false);
    expect(ours(installed, ['app', 'tool'], false)).toEqual(expected);
    expect(expected.some((l) => l.startsWith('libc-fake') || l.startsWith('rsyslog'))).toBe(false);
  });

  it('a requested virtual package: one provider is installed in its place, several are refused with their names, as apt does', async () => {
    // syslogd has one provider (rsyslog): apt notes "selecting 'rsyslog' instead of 'syslogd'" and installs it.
    const one = await apt('', ['syslogd'], false);
    expect(one).toEqual(['rsyslog 8.0-1']);
    expect(ours([], ['syslogd'], false)).toEqual(one);
    // httpd-virtual has two (tinyhttpd, oldhttpd): apt refuses and lists them; so does ferry, naming both.
    const state = scratch('ferry-apt-state-');
    writeFileSync(join(state, 'status'), '');
    await aptGet(state, sources(), join(state, 'status'), ['update', '-qq']);
    // Not -qq: apt says which providers there are on stdout, then fails.
    const refused = await aptGet(state, sources(), join(state, 'status'), ['install', '--simulate', 'httpd-virtual']).then(
      (out) => `unexpectedly installed: ${out}`,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    expect(refused).toMatch(/Package httpd-virtual is a virtual package provided by:/);
    expect(refused).toMatch(/tinyhttpd 2\.0-1/);
    expect(refused).toMatch(/oldhttpd 1\.0-1/);
    expect(() => ours([], ['httpd-virtual'], false)).toThrow(
      /apt package httpd-virtual is a virtual package provided by: oldhttpd 1\.0-1, tinyhttpd 2\.0-1; name the one to install/,
    );
  });

  it('an unsatisfiable dependency fails with the chain that led to it', () => {
    expect(() => ours([], ['jq (>= 9)'], false)).toThrow(/requested jq \(>= 9\)\n {2}nothing satisfies jq \(>= 9\): jq: candidate 1\.6-3/);
  });
});

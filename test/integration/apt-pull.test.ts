import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { execFileSync } from 'node:child_process';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { type FixtureSuite, aptGet, buildAptRepo, simulatedInstalls } from '../helpers/apt-repo.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'gpg', 'gzip');

export const APT_SUITES: FixtureSuite[] = [
  {
    name: 'stable',
    debs: [
      { name: 'app', version: '1.0-1', preDepends: 'base-init', depends: 'libfoo (>= 1.2), logger | syslogd' },
      { name: 'libfoo', version: '1.1-1' },
      { name: 'rsyslog', version: '8.0-1', provides: 'syslogd' },
      { name: 'base-init', version: '3.0-1', depends: 'libc-fake (>= 2.30)' },
      { name: 'libc-fake', version: '2.36-1' },
      { name: 'unused', version: '1.0-1' },
      { name: 'jq', version: '1.6-2', depends: 'libjq1 (= 1.6-2)' },
      { name: 'libjq1', version: '1.6-2' },
    ],
  },
  {
    name: 'updates',
    debs: [
      { name: 'libfoo', version: '1:0.9-1' },
      { name: 'jq', version: '1.6-3', depends: 'libjq1 (= 1.6-3)' },
      { name: 'libjq1', version: '1.6-3' },
    ],
  },
];
export const APT_CLOSURE = ['app', 'base-init', 'jq', 'libc-fake', 'libfoo', 'libjq1', 'rsyslog'];

function serveDir(host: FileHost, root: string, prefix: string): void {
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    const p = join(root, name);
    if (statSync(p).isFile()) host.files.set(`${prefix}/${relative(root, p)}`, readFileSync(p));
  }
}

describe.runIf(ok)('apt packages: signed Release → Packages → deb, pulled into a bundle', () => {
  let host: FileHost;
  let archive: GpgKey;
  let stranger: GpgKey;
  let keyring: string;

  beforeAll(async () => {
    [archive, stranger] = await Promise.all([makeGpgKey('Fixture Archive'), makeGpgKey('Stranger')]);
    const repo = scratch('ferry-apt-repo-');
    await buildAptRepo(repo, APT_SUITES);
    for (const s of APT_SUITES) await archive.signRelease(join(repo, 'dists', s.name, 'Release'), join(repo, 'dists', s.name));
    host = await startFileHost();
    serveDir(host, repo, '/debian');
    keyring = join(scratch(), 'archive-keyring.gpg');
    writeFileSync(keyring, archive.publicBinary);
  }, 120_000);
  afterAll(async () => host?.stop());

  const spec = (ring: string, extra = '') =>
    `  apt:\n    - url: ${host.url}/debian\n      suites: [stable, updates]\n      components: [main]\n      architectures: [amd64]\n      keyring: ${ring}\n      packages: [app, "jq (>= 1.6)"]\n${extra}`;

  it('pins every deb of the closure to its signed Packages stanza, and verify re-checks the chain offline', async () => {
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, spec(keyring)), join(dir, 'b.tar'), []);
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    const src = lock.apt[0];
    expect(src.debs.map((d: { name: string }) => d.name)).toEqual(APT_CLOSURE);
    expect(src.debs.find((d: { name: string }) => d.name === 'libfoo')).toMatchObject({
      version: '1:0.9-1',
      suite: 'updates',
      index: 'main/binary-amd64/Packages.gz',
    });
    expect(src.releases.map((r: { suite: string; file: string; signedBy: string[] }) => [r.suite, r.file, r.signedBy])).toEqual([
      ['stable', 'InRelease', [archive.fingerprint]],
      ['updates', 'InRelease', [archive.fingerprint]],
    ]);
    expect(src.keyring.fingerprints).toEqual([archive.fingerprint]);
    expect((await verifyBundle(result.bundle)).problems).toEqual([]);

    // Without InRelease, Release + Release.gpg (detached) is used, recorded, and re-checked by verify.
    const inRel = '/debian/dists/updates/InRelease';
    const saved = host.files.get(inRel) as Buffer;
    host.files.delete(inRel);
    try {
      const d2 = scratch();
      const second = await pull(writeManifest(d2, spec(keyring)), join(d2, 'b.tar'), []);
      const rel = JSON.parse(readFileSync(second.result.lockPath, 'utf8')).apt[0].releases[1];
      expect([rel.suite, rel.file, rel.signedBy]).toEqual(['updates', 'Release', [archive.fingerprint]]);
      expect((await verifyBundle(second.result.bundle)).problems).toEqual([]);
    } finally {
      host.files.set(inRel, saved);
    }
  });

  it('leaves out what the node already has (installed:), and carries only the named packages with dependencies: false', async () => {
    const dir = scratch();
    writeFileSync(
      join(dir, 'status'),
      'Package: libc-fake\nStatus: install ok installed\nVersion: 2.36-1\nArchitecture: amd64\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: amd64\n',
    );
    const a = await pull(writeManifest(dir, spec(keyring, '      installed: status\n')), join(dir, 'a.tar'), []);
    expect(JSON.parse(readFileSync(a.result.lockPath, 'utf8')).apt[0].debs.map((d: { name: string }) => d.name)).toEqual(
      APT_CLOSURE.filter((n) => n !== 'libc-fake'),
    );
    const b = await pull(writeManifest(dir, spec(keyring, '      dependencies: false\n')), join(dir, 'sub', 'b.tar'), []);
    expect(
      JSON.parse(readFileSync(b.result.lockPath, 'utf8')).apt[0].debs.map(
        (d: { name: string; version: string }) => `${d.name} ${d.version}`,
      ),
    ).toEqual(['app 1.0-1', 'jq 1.6-3']);
  });

  it('stages a signed repository that real apt accepts and installs exactly the closure from; unsigned works with Trusted: yes', async () => {
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, spec(keyring)), join(dir, 'b.tar'), []);
    const stageKey = await makeGpgKey('Enclave Staging');
    const keyFile = join(dir, 'stage-key.asc');
    writeFileSync(
      keyFile,
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
    for (const signed of [true, false]) {
      const staged = scratch('ferry-apt-staged-');
      const r = await stageBundle({ bundlePath: result.bundle, dir: staged, ...(signed ? { aptSignKey: keyFile } : {}) });
      expect(r.apt?.signedBy).toBe(signed ? stageKey.fingerprint : undefined);
      const apt = join(staged, 'apt');
      const sources = readFileSync(join(apt, 'ferry.sources'), 'utf8');
      expect(sources).toContain(signed ? 'Signed-By: /etc/apt/keyrings/ferry-apt.asc' : 'Trusted: yes');
      // The node's configuration, pointed at the staged directory instead of /opt/ferry/apt and /etc/apt/keyrings.
      const line = signed
        ? `deb [signed-by=${join(apt, 'ferry-apt.asc')}] file:${apt} ferry main
`
        : `deb [trusted=yes] file:${apt} ferry main
`;
      const state = scratch('ferry-apt-node-');
      writeFileSync(join(state, 'status'), '');
      const update = await aptGet(state, line, join(state, 'status'), ['update']);
      expect(update).not.toMatch(/^(W|E):/m);
      // apt keeps an InRelease in its lists only once its signature checked out against signed-by.
      expect(readdirSync(join(state, 'lists')).some((f) => f.endsWith('_InRelease'))).toBe(signed);
      const out = await aptGet(state, line, join(state, 'status'), ['install', '--simulate', '--no-install-recommends', 'app', 'jq']);
      expect(simulatedInstalls(out).map((l) => l.split(' ')[0])).toEqual(APT_CLOSURE);
    }
  });

  it('refuses a Release signed by a key not in the keyring, a tampered Packages.gz, an expired Release and a changed deb', async () => {
    const other = join(scratch(), 'other.gpg');
    writeFileSync(other, stranger.publicBinary);
    let dir = scratch();
    await expect(pull(writeManifest(dir, spec(other)), join(dir, 'b.tar'), [])).rejects.toMatchObject({
      code: 'APT_SIGNATURE',
      message: expect.stringContaining('/debian/dists/stable/InRelease: no valid signature by a key in the keyring'),
    });

    const pkgPath = '/debian/dists/updates/main/binary-amd64/Packages.gz';
    const good = host.files.get(pkgPath) as Buffer;
    host.files.set(pkgPath, gzipSync(Buffer.from('Package: evil\nVersion: 1\n')));
    try {
      dir = scratch();
      await expect(pull(writeManifest(dir, spec(keyring)), join(dir, 'b.tar'), [])).rejects.toMatchObject({
        code: 'DIGEST_MISMATCH',
        message: expect.stringMatching(
          /dists\/updates\/main\/binary-amd64\/Packages\.gz: sha256 [0-9a-f]{64} \(\d+ bytes\), but the signed InRelease of updates says [0-9a-f]{64}/,
        ),
      });
    } finally {
      host.files.set(pkgPath, good);
    }

    // An expired Valid-Until (signed by the right key) is refused, as apt refuses it.
    const inRel = '/debian/dists/stable/InRelease';
    const goodInRelease = host.files.get(inRel) as Buffer;
    const tmp = scratch();
    const releaseText = (host.files.get('/debian/dists/stable/Release') as Buffer)
      .toString('utf8')
      .replace(/^Date: .*$/m, (d) => `${d}\nValid-Until: Mon, 01 Jan 2024 00:00:00 UTC`);
    writeFileSync(join(tmp, 'Release'), releaseText);
    await archive.signRelease(join(tmp, 'Release'), tmp);
    host.files.set(inRel, readFileSync(join(tmp, 'InRelease')));
    try {
      dir = scratch();
      await expect(pull(writeManifest(dir, spec(keyring)), join(dir, 'b.tar'), [])).rejects.toMatchObject({
        code: 'APT_RELEASE_INVALID',
        message: expect.stringContaining('/debian/dists/stable/InRelease expired at 2024-01-01T00:00:00.000Z (Valid-Until)'),
      });
    } finally {
      host.files.set(inRel, goodInRelease);
    }

    const debPath = [...host.files.keys()].find((k) => k.endsWith('/rsyslog_8.0-1_amd64.deb')) as string;
    const deb = host.files.get(debPath) as Buffer;
    const changed = Buffer.from(deb);
    changed[changed.length - 5] ^= 1;
    host.files.set(debPath, changed);
    try {
      dir = scratch();
      await expect(pull(writeManifest(dir, spec(keyring)), join(dir, 'b.tar'), [], { cacheDir: join(dir, 'c2') })).rejects.toMatchObject({
        code: 'DIGEST_MISMATCH',
        message: expect.stringContaining('rsyslog_8.0-1_amd64.deb'),
      });
    } finally {
      host.files.set(debPath, deb);
    }
  });
});

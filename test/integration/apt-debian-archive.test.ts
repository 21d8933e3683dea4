import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AptNode,
  aptNode,
  cliPull,
  cliStagedAnswer,
  limiter,
  lockedDebs,
  reportedByCli,
  setDiff,
  unreportedRemovals,
} from '../helpers/apt-parity.js';
import { aptCache, asInstalled } from '../helpers/apt-repo.js';
import { requireTools } from '../helpers/tools.js';
import { scratch, writeManifest } from './ferry-env.js';

/**
 * ferry's closure over the real Debian archive — bookworm and bookworm-updates from the main archive, bookworm-security
 * from the security archive, one package universe as apt builds it from three sources.list lines — must be what real
 * `apt-get install --simulate` (apt 2.6, an isolated configuration with the same three sources) installs, on an empty
 * node and on a node installed some updates ago; and the repository ferry stages must make real apt install exactly
 * that set. The archive moves, so the truth is computed by apt in the same run, never stored. Unreachable, the test
 * skips locally and fails under CI.
 */
const MAIN = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const SOURCES: [string, string][] = [
  [MAIN, 'bookworm'],
  [MAIN, 'bookworm-updates'],
  [SECURITY, 'bookworm-security'],
];

/** What an RKE2 node needs from the OS. */
const RKE2 = ['nfs-common', 'open-iscsi', 'jq', 'curl', 'iptables', 'conntrack', 'socat', 'ebtables', 'ethtool', 'cryptsetup', 'lvm2'];
/** A general-purpose server: pulls in systemd, polkitd, libpam-systemd, dbus, python3 and perl. */
const SERVER = [
  'openssh-server',
  'sudo',
  'rsyslog',
  'chrony',
  'curl',
  'wget',
  'ca-certificates',
  'gnupg',
  'vim-tiny',
  'less',
  'htop',
  'tmux',
  'bash-completion',
  'man-db',
  'rsync',
  'git',
  'python3',
  'perl',
  'dbus',
  'libpam-systemd',
  'policykit-1',
  'systemd-sysv',
  'cron',
  'logrotate',
  'iproute2',
  'iputils-ping',
  'dnsutils',
  'net-tools',
  'tcpdump',
  'lsof',
  'strace',
  'unzip',
  'zstd',
  'xz-utils',
  'file',
  'bzip2',
  'openssl',
  'lsb-release',
];
/** What the node with a status has: a base system with systemd, curl, OpenSSL, Python and Perl. */
const NODE_BASE = [
  'systemd',
  'systemd-sysv',
  'libpam-systemd',
  'dbus',
  'udev',
  'openssh-client',
  'openssl',
  'ca-certificates',
  'curl',
  'libcurl3-gnutls',
  'python3',
  'perl',
  'iproute2',
  'kmod',
];
/**
 * Source packages the node has at the oldest version any of the three suites still holds (the point release for the
 * rest): so that installing the requested sets must upgrade installed packages — exact-version siblings (libpam-systemd
 * → systemd, curl ↔ libcurl4, perl ↔ perl-base) and other binaries of the same source (libcurl3-gnutls, libudev1).
 */
const OLD_SOURCES = ['systemd', 'curl', 'openssl', 'perl', 'python3.11'];

const head = (url: string) =>
  fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5000) }).then(
    (r) => r.ok,
    () => false,
  );
const reachable = (await Promise.all(SOURCES.map(([u, s]) => head(`${u}/dists/${s}/InRelease`)))).every(Boolean);
if (!reachable && process.env.CI)
  throw new Error(`${MAIN} or ${SECURITY} cannot be reached: this test checks ferry against the real archive`);
const online = requireTools('apt-get', 'apt-cache', 'dpkg-deb') && reachable;

const sourcesList = SOURCES.map(([u, s]) => `deb [signed-by=${KEYRING}] ${u} ${s} main\n`).join('');

/** The manifest: one entry per archive, the packages listed in the first, the security archive supplying candidates. */
function manifest(packages: string[], recommends: boolean, installed?: string): string {
  return (
    `  apt:\n    - url: ${MAIN}\n      suites: [bookworm, bookworm-updates]\n      components: [main]\n      architectures: [amd64]\n` +
    `      keyring: ${KEYRING}\n      packages: [${packages.join(', ')}]\n      recommends: ${recommends}\n` +
    (installed ? `      installed: ${installed}\n` : '') +
    `    - url: ${SECURITY}\n      suites: [bookworm-security]\n      components: [main]\n      architectures: [amd64]\n` +
    `      keyring: ${KEYRING}\n`
  );
}

/** apt's copy of a suite's InRelease (its lists directory names files after the URL). */
const listFile = (node: AptNode, url: string, suite: string) =>
  join(node.state, 'lists', `${url.replace(/^https?:\/\//, '').replace(/\//g, '_')}_dists_${suite}_InRelease`);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.runIf(online)('the real Debian archive: bookworm + bookworm-updates + bookworm-security, ferry equals apt', () => {
  let node: AptNode;
  let cache: string;
  let behindNode: string;

  beforeAll(async () => {
    node = aptNode(sourcesList);
    cache = scratch('ferry-apt-cache-');
    expect(await node.update()).not.toMatch(/^(W|E):/m);

    // The node with a status: NODE_BASE as apt installs it from the point release, with each of OLD_SOURCES pinned to
    // the suite holding its oldest version when that is another suite (a pin is kept only when apt can still install
    // the base with it: an old OpenSSL that newer libraries outgrew stays at the point release); each package's
    // stanza as apt-cache show prints that version, made installed.
    const prefs = join(node.state, 'preferences');
    const writePrefs = (pins: string[]) =>
      writeFileSync(prefs, [...pins, 'Package: *\nPin: release n=bookworm\nPin-Priority: 990\n'].join('\n'));
    const baseWith = () => node.simulate(NODE_BASE, { status: '', recommends: false, extra: ['-o', `Dir::Etc::Preferences=${prefs}`] });
    const versions = new Map<string, RegExpExecArray[]>();
    for (const line of (await aptCache(node.state, sourcesList, join(node.state, 'status'), ['madison', ...OLD_SOURCES])).split('\n')) {
      const m = /^\s*(\S+) \| (\S+) \| \S+ ([^/\s]+)\//.exec(line);
      if (m) versions.set(m[1] as string, [...(versions.get(m[1] as string) ?? []), m]);
    }
    // madison lists each package's versions newest first; a source whose oldest version is the point release's
    // needs no pin (the default pin below gives it)
    const candidates = OLD_SOURCES.flatMap((src) => {
      const lines = versions.get(src) ?? [];
      const oldest = lines[lines.length - 1];
      return oldest && oldest[3] !== 'bookworm' ? [`Package: src:${src}\nPin: release n=${oldest[3]}\nPin-Priority: 995\n`] : [];
    });
    const pins: string[] = [];
    let base: Awaited<ReturnType<typeof baseWith>> | undefined;
    for (const pin of candidates) {
      writePrefs([...pins, pin]);
      const tried = await baseWith().catch(() => undefined);
      if (tried) {
        base = tried;
        pins.push(pin);
      }
    }
    if (!base) {
      writePrefs([]);
      base = await baseWith();
    }
    // the node must be behind the archive somewhere, or it would need no upgrade
    const installedAt = new Map(base.installs.map((l) => l.split(' ') as [string, string]));
    const behind = OLD_SOURCES.filter((src) => {
      const newest = versions.get(src)?.[0]?.[2];
      return installedAt.has(src) && newest !== undefined && installedAt.get(src) !== newest;
    });
    expect(behind.length, `the node has the newest ${OLD_SOURCES.join(', ')}: it would need no upgrade`).toBeGreaterThan(0);
    expect(base.installs.length).toBeGreaterThan(50);
    const shown = await aptCache(node.state, sourcesList, join(node.state, 'status'), [
      'show',
      ...base.installs.map((l) => l.replace(' ', '=')),
    ]);
    behindNode = asInstalled(shown);
    expect(behindNode.match(/^Package: /gm)?.length).toBe(base.installs.length);
  }, 120_000);

  /** Re-reads the archive with apt when it moved on between apt's update and ferry's pull (a mirror push). */
  async function sameSnapshot(lockPath: string): Promise<void> {
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { apt: { url: string; releases: { suite: string; sha256: string }[] }[] };
    const differs = () =>
      lock.apt.some((e) =>
        e.releases.some((r) => {
          const f = listFile(node, e.url, r.suite);
          return !existsSync(f) || sha256(f) !== r.sha256;
        }),
      );
    if (differs()) await node.update();
    expect(differs(), 'apt and ferry read different InRelease files: the archive moved during the test').toBe(false);
  }

  // ferry runs as the built CLI, in its own process: the cases run two at a time, one per core.
  const slot = limiter(2);
  const sets: [string, string[]][] = [
    ['an RKE2 node set', RKE2],
    [`a ${SERVER.length}-package server set`, SERVER],
  ];
  for (const [label, packages] of sets) {
    for (const recommends of [false, true]) {
      for (const withStatus of [false, true]) {
        const title = `${label}, ${recommends ? 'with' : 'without'} Recommends, on ${withStatus ? 'a node installed some updates ago' : 'an empty node'}`;
        it.concurrent(
          title,
          ({ expect }) =>
            slot(async () => {
              const dir = scratch('ferry-apt-debian-');
              try {
                const status = withStatus ? behindNode : '';
                if (withStatus) writeFileSync(join(dir, 'status'), status);
                const bundle = join(dir, 'b.tar');
                const pulled = await cliPull(
                  writeManifest(dir, manifest(packages, recommends, withStatus ? 'status' : undefined)),
                  bundle,
                  cache,
                );
                await sameSnapshot(pulled.lockPath);
                const apt = await node.simulate(packages, { status, recommends });
                const ours = lockedDebs(pulled.lockPath);
                expect(apt.installs.length).toBeGreaterThan(10);
                expect(setDiff(ours, apt.installs), `ferry's debs against apt's Inst lines`).toEqual({ onlyFerry: [], onlyApt: [] });
                // What apt would remove, ferry must have said (its lock's conflicts, its warnings); saying nothing means none.
                expect(unreportedRemovals(apt.removals, reportedByCli(pulled.lockPath, pulled.stderr))).toEqual([]);
                if (withStatus) {
                  const installed = new Set([...status.matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]));
                  const upgrades = apt.installs.filter((l) => installed.has(l.split(' ')[0]));
                  expect(upgrades.length, 'the node with a status must need upgrades').toBeGreaterThan(0);
                }

                // The staged repository, alone, on the same node: real apt installs exactly that set and removes nothing.
                const staged = await cliStagedAnswer(bundle, packages, { status, recommends });
                expect(staged.updateOut).not.toMatch(/^(W|E):/m);
                expect(setDiff(staged.installs, apt.installs), `apt from the staged repository against apt from the archive`).toEqual({
                  onlyFerry: [],
                  onlyApt: [],
                });
                expect(staged.removals).toEqual(apt.removals);
              } finally {
                rmSync(dir, { recursive: true, force: true });
              }
            }),
          // the cases wait for their turn inside the test (limiter), so each one's time includes its queue
          300_000,
        );
      }
    }
  }
});

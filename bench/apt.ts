/**
 * The apt measurements of `npm run bench` (docs/performance.md "apt"): wall time and peak RSS of `bundle pull`,
 * `bundle verify` and `bundle stage` for one spec.apt entry, on a synthetic archive whose Packages.xz holds
 * BENCH_APT_STANZAS stanzas (default 200 000, shaped like Debian main's) served on loopback, and on the real Debian
 * archive (bookworm + bookworm-updates main amd64) when it answers.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFileHost } from '../test/helpers/file-host.js';
import { makeGpgKey } from '../test/helpers/gpg.js';
import { buildSyntheticArchive, filesUnder } from '../test/helpers/synthetic-apt.js';

export interface Timed {
  seconds: number;
  maxRssMb: number;
}
export type Median = (reset: () => Promise<void>, run: () => Promise<Timed>) => Promise<Timed & { runs: number[] }>;
export type TimedRun = (cmd: string, args: string[]) => Promise<Timed>;

export interface AptSteps {
  pull: Timed & { runs: number[] };
  verify: Timed & { runs: number[] };
  stage: Timed & { runs: number[] };
}

export interface AptResults {
  synthetic: AptSteps & { stanzas: number; packagesBytes: number; packagesXzBytes: number };
  debian: (AptSteps & { suites: string[]; packages: string[] }) | { skipped: string };
}

const DEBIAN = 'http://deb.debian.org/debian';
const DEBIAN_SUITES = ['bookworm', 'bookworm-updates'];
/** The security archive as a second entry, as a node's sources.list has it: one universe of some 65,000 stanzas. */
const SECURITY = 'http://deb.debian.org/debian-security';
const SECURITY_SUITES = ['bookworm-security'];
const DEBIAN_PACKAGES = ['nfs-common', 'open-iscsi', 'jq', 'curl', 'iptables'];
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

function manifest(
  dir: string,
  url: string,
  suites: string[],
  keyring: string,
  packages: string[],
  extra?: { url: string; suites: string[] },
): string {
  const path = join(dir, 'bundle.yaml');
  const entry = (u: string, ss: string[]) =>
    `    - url: ${u}\n      suites: [${ss.join(', ')}]\n      components: [main]\n      architectures: [amd64]\n      keyring: ${keyring}\n`;
  writeFileSync(
    path,
    `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: bench-apt\nspec:\n  apt:\n${entry(url, suites)}      packages: [${packages.join(', ')}]\n${extra ? entry(extra.url, extra.suites) : ''}`,
  );
  return path;
}

/** pull (fresh cache each run), verify, and stage (which verifies first, as it does by default) of one manifest. */
async function steps(dir: string, yaml: string, ferry: string, timed: TimedRun, median: Median): Promise<AptSteps> {
  const bundle = join(dir, 'b.tar');
  const cache = join(dir, 'cache');
  const staged = join(dir, 'staged');
  const pull = await median(
    async () => rmSync(cache, { recursive: true, force: true }),
    () => timed(ferry, ['bundle', 'pull', yaml, '-o', bundle, '--cache', cache, '--no-progress']),
  );
  const verify = await median(
    async () => {},
    () => timed(ferry, ['bundle', 'verify', bundle, '--no-progress']),
  );
  const stage = await median(
    async () => rmSync(staged, { recursive: true, force: true }),
    () => timed(ferry, ['bundle', 'stage', bundle, '--dir', staged, '--no-progress']),
  );
  return { pull, verify, stage };
}

async function reachable(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return res.ok ? undefined : `HTTP ${res.status}`;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function benchApt(out: string, ferry: string, timed: TimedRun, median: Median): Promise<AptResults> {
  const stanzas = Number(process.env.BENCH_APT_STANZAS ?? 200_000);
  const dir = join(out, 'apt-synthetic');
  mkdirSync(dir, { recursive: true });
  const key = await makeGpgKey('Bench Archive');
  const host = await startFileHost();
  let synthetic: AptResults['synthetic'];
  try {
    const archive = await buildSyntheticArchive(join(dir, 'repo'), key, { stanzas, form: 'xz' });
    for (const [path, body] of filesUnder(archive.root, 'synthetic')) host.files.set(path, body);
    writeFileSync(join(dir, 'keyring.gpg'), key.publicBinary);
    const yaml = manifest(dir, `${host.url}/synthetic`, [archive.suite], join(dir, 'keyring.gpg'), [archive.requested]);
    synthetic = {
      stanzas,
      packagesBytes: archive.packagesBytes,
      packagesXzBytes: archive.packagesCompressedBytes,
      ...(await steps(dir, yaml, ferry, timed, median)),
    };
  } finally {
    await host.stop();
    await key.stop();
  }
  const why = await reachable(`${DEBIAN}/dists/${DEBIAN_SUITES[0]}/InRelease`);
  if (why) return { synthetic, debian: { skipped: `${DEBIAN} unreachable: ${why}` } };
  const real = join(out, 'apt-debian');
  mkdirSync(real, { recursive: true });
  const yaml = manifest(real, DEBIAN, DEBIAN_SUITES, KEYRING, DEBIAN_PACKAGES, { url: SECURITY, suites: SECURITY_SUITES });
  return {
    synthetic,
    debian: {
      suites: [...DEBIAN_SUITES, ...SECURITY_SUITES],
      packages: DEBIAN_PACKAGES,
      ...(await steps(real, yaml, ferry, timed, median)),
    },
  };
}

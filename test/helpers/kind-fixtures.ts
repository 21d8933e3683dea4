import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type FixtureSuite, buildAptRepo } from './apt-repo.js';
import { chartTgz } from './charts.js';
import { type FileHost, startFileHost } from './file-host.js';
import { type GpgKey, makeGpgKey } from './gpg.js';
import { seededBytes } from './images.js';
import { buildRke2Release, hostRelease } from './rke2-release.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Every kind a manifest names besides images, served from one loopback host: files (a large one, an odd-sized one, an
 * empty one), a chart from a chart repository, an apt package set from a signed archive, an RKE2 release (reached
 * through mirrors of its upstream URLs, as a user's would be) and ferry's own executable (spec.ferry.path) with the
 * SBOM and SHA256SUMS its release puts beside it.
 */
export interface KindFixtures {
  host: FileHost;
  /** The spec lines for all of them (two-space indented, as writeManifest takes them); images are the caller's. */
  spec: string;
  /** URL mirrors for RKE2's upstream release and install-script URLs. */
  mirrors: [string, string][];
  stop(): Promise<void>;
}

/** ferry's release name; the executable is coreutils' `true` (a real ELF), as in ferry-artifact.test.ts, not a release build. */
export const FERRY_NAME = 'ferry-0.1.0-linux-x64';
const TRUE = ['/usr/bin/true', '/bin/true'].find((p) => existsSync(p)) ?? '/usr/bin/true';
const RKE2_VERSION = 'v1.30.4+rke2r1';

/** A small closure: a Pre-Depends, a versioned Depends, an alternative met by a Provides, and a package left out. */
const SUITES: FixtureSuite[] = [
  {
    name: 'stable',
    debs: [
      { name: 'app', version: '1.0-1', preDepends: 'base-init', depends: 'libfoo (>= 1.0), logger | syslogd' },
      { name: 'libfoo', version: '1.1-1' },
      { name: 'rsyslog', version: '8.0-1', provides: 'syslogd' },
      { name: 'base-init', version: '3.0-1' },
      { name: 'unused', version: '1.0-1' },
    ],
  },
];

/** `dir` holds the fixture archive, the keyring and ferry's release; the manifest is expected in `dir` too. */
export async function buildKindFixtures(dir: string): Promise<KindFixtures> {
  const host = await startFileHost();
  let archive: GpgKey | undefined;
  try {
    const files = { big: seededBytes('planned-big', 1_300_000), odd: seededBytes('planned-odd', 513), empty: Buffer.alloc(0) };
    for (const [n, body] of Object.entries(files)) host.files.set(`/${n}.bin`, body);
    const fileLines = Object.entries(files)
      .map(([n, body]) => `    - url: ${host.url}/${n}.bin\n      sha256: ${hex(body)}\n`)
      .join('');

    const chart = chartTgz('tiny', { 'Chart.yaml': { apiVersion: 'v2', name: 'tiny', version: '1.0.0' }, 'values.yaml': 'a: 1\n' });
    host.files.set('/charts/tiny-1.0.0.tgz', chart);
    host.files.set(
      '/charts/index.yaml',
      Buffer.from(
        `apiVersion: v1\nentries:\n  tiny:\n    - apiVersion: v2\n      name: tiny\n      version: 1.0.0\n      digest: ${hex(chart)}\n      urls: [tiny-1.0.0.tgz]\n`,
      ),
    );

    archive = await makeGpgKey('Fixture Archive');
    const repo = join(dir, 'apt-repo');
    await buildAptRepo(repo, SUITES);
    for (const s of SUITES) await archive.signRelease(join(repo, 'dists', s.name, 'Release'), join(repo, 'dists', s.name));
    for (const name of readdirSync(repo, { recursive: true }) as string[]) {
      const p = join(repo, name);
      if (statSync(p).isFile()) host.files.set(`/debian/${relative(repo, p)}`, readFileSync(p));
    }
    writeFileSync(join(dir, 'archive-keyring.gpg'), archive.publicBinary);

    hostRelease(host, await buildRke2Release(RKE2_VERSION));

    // The release directory `npm run release` writes: the executable, its CycloneDX SBOM, and SHA256SUMS over both.
    const rel = join(dir, 'release');
    mkdirSync(rel, { recursive: true });
    copyFileSync(TRUE, join(rel, FERRY_NAME));
    const sbom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      metadata: { component: { type: 'application', name: 'ferry', version: '0.1.0' } },
    };
    writeFileSync(join(rel, `${FERRY_NAME}.cdx.json`), JSON.stringify({ ...sbom, components: [] }));
    const sums = [FERRY_NAME, `${FERRY_NAME}.cdx.json`].map((n) => `${hex(readFileSync(join(rel, n)))}  ${n}\n`).join('');
    writeFileSync(join(rel, 'SHA256SUMS'), sums);

    const key = archive;
    return {
      host,
      spec:
        `  files:\n${fileLines}` +
        `  charts:\n    - repo: ${host.url}/charts\n      name: tiny\n      version: "1.0.0"\n` +
        `  apt:\n    - url: ${host.url}/debian\n      suites: [stable]\n      components: [main]\n      architectures: [amd64]\n` +
        `      keyring: archive-keyring.gpg\n      packages: [app]\n` +
        `  rke2:\n    version: ${RKE2_VERSION}\n    imageSets: [core, calico]\n` +
        `  ferry:\n    path: release/${FERRY_NAME}\n`,
      mirrors: [
        ['https://github.com/rancher/rke2/releases/download/', `${host.url}/releases/`],
        ['https://get.rke2.io', `${host.url}/install.sh`],
      ],
      async stop() {
        await host.stop();
        await key.stop();
      },
    };
  } catch (err) {
    await host.stop();
    await archive?.stop();
    throw err;
  }
}

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptCache, aptGet } from '../helpers/apt-repo.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

/**
 * The real Debian security archive, which publishes its indexes only as Packages.xz under by-hash/ (Acquire-By-Hash:
 * yes): ferry's choice of libssl3 from bookworm-security alone must be the candidate real apt computes from the same
 * suite in an isolated configuration. The archive is one of the two upstreams these machines reach: unreachable, the
 * test skips locally and fails under CI, like a missing tool.
 */
const URL = 'http://deb.debian.org/debian-security';
const SUITE = 'bookworm-security';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const PACKAGE = 'libssl3';

const reachable = await fetch(`${URL}/dists/${SUITE}/InRelease`, { method: 'HEAD', signal: AbortSignal.timeout(5000) }).then(
  (r) => r.ok,
  () => false,
);
if (!reachable && process.env.CI) throw new Error(`${URL} cannot be reached: this test checks ferry against the real archive`);
const online = requireTools('apt-get', 'apt-cache') && reachable;

describe.runIf(online)(`the real Debian archive: ${SUITE} (Packages.xz only)`, () => {
  it(`resolves ${PACKAGE} from ${SUITE} alone to the version real apt chooses`, async () => {
    const dir = scratch();
    const spec =
      `  apt:\n    - url: ${URL}\n      suites: [${SUITE}]\n      components: [main]\n      architectures: [amd64]\n` +
      `      keyring: ${KEYRING}\n      packages: [${PACKAGE}]\n      dependencies: false\n`;
    const { result } = await pull(writeManifest(dir, spec), join(dir, 'b.tar'), []);
    const src = JSON.parse(readFileSync(result.lockPath, 'utf8')).apt[0];
    expect(src.releases[0].indexes.map((i: { path: string }) => i.path)).toEqual(['main/binary-amd64/Packages.xz']);
    // Its Release says Acquire-By-Hash: yes: the lock's URL is the by-hash one that was fetched.
    expect(src.releases[0].indexes[0].url).toBe(
      `${URL}/dists/${SUITE}/main/binary-amd64/by-hash/SHA256/${src.releases[0].indexes[0].sha256}`,
    );
    expect(src.debs.map((d: { name: string }) => d.name)).toEqual([PACKAGE]);

    const state = scratch('ferry-apt-debian-');
    writeFileSync(join(state, 'status'), '');
    const line = `deb [signed-by=${KEYRING}] ${URL} ${SUITE} main\n`;
    expect(await aptGet(state, line, join(state, 'status'), ['update'])).not.toMatch(/^(W|E):/m);
    const policy = await aptCache(state, line, join(state, 'status'), ['policy', PACKAGE]);
    const candidate = /^\s*Candidate: (\S+)$/m.exec(policy)?.[1];
    expect(candidate).toBeDefined();
    expect(src.debs[0].version).toBe(candidate);
  }, 60_000);
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptCache, aptGet, simulatedInstalls } from '../helpers/apt-repo.js';
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
const MAIN_URL = 'http://deb.debian.org/debian';
const MAIN_SUITE = 'bookworm';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const PACKAGE = 'libssl3';

const reach = (url: string) =>
  fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5000) }).then(
    (r) => r.ok,
    () => false,
  );
const reachable = (await reach(`${URL}/dists/${SUITE}/InRelease`)) && (await reach(`${MAIN_URL}/dists/${MAIN_SUITE}/InRelease`));
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

  it(`resolves ${PACKAGE} over ${MAIN_SUITE} and ${SUITE} (two archives, the second listing no packages) as real apt does`, async () => {
    const dir = scratch();
    const spec =
      `  apt:\n    - url: ${MAIN_URL}\n      suites: [${MAIN_SUITE}]\n      components: [main]\n      keyring: ${KEYRING}\n` +
      `      packages: [${PACKAGE}]\n    - url: ${URL}\n      suites: [${SUITE}]\n      components: [main]\n      keyring: ${KEYRING}\n`;
    const { result } = await pull(writeManifest(dir, spec), join(dir, 'b.tar'), []);
    const apt = JSON.parse(readFileSync(result.lockPath, 'utf8')).apt as {
      debs: { name: string; version: string; suite: string }[];
    }[];

    const state = scratch('ferry-apt-debian-');
    writeFileSync(join(state, 'status'), '');
    const lines = `deb [signed-by=${KEYRING}] ${MAIN_URL} ${MAIN_SUITE} main\ndeb [signed-by=${KEYRING}] ${URL} ${SUITE} main\n`;
    expect(await aptGet(state, lines, join(state, 'status'), ['update'])).not.toMatch(/^(W|E):/m);
    const policy = await aptCache(state, lines, join(state, 'status'), ['policy', PACKAGE]);
    const candidate = /^\s*Candidate: (\S+)$/m.exec(policy)?.[1];
    // The archives apt lists that version in (its policy's version table); ferry's deb is under one of their entries.
    const listed = policySources(policy, candidate as string);
    const entries = [`${MAIN_URL} ${MAIN_SUITE}/`, `${URL} ${SUITE}/`].flatMap((a, entry) =>
      listed.some((l) => l.includes(a)) ? [entry] : [],
    );
    const ours = apt.flatMap((s, entry) =>
      s.debs.filter((d) => d.name === PACKAGE).map((d) => ({ entry, version: d.version, suite: d.suite })),
    );
    expect(ours).toHaveLength(1);
    expect(ours[0]?.version).toBe(candidate);
    expect(entries).toContain(ours[0]?.entry);
    expect(ours[0]?.suite).toBe([MAIN_SUITE, SUITE][ours[0]?.entry ?? -1]);
    // The whole closure, over both archives, is what apt-get install computes.
    const out = await aptGet(state, lines, join(state, 'status'), ['install', '--simulate', '--no-install-recommends', PACKAGE]);
    expect(apt.flatMap((s) => s.debs.map((d) => `${d.name} ${d.version}`)).sort()).toEqual(simulatedInstalls(out));
  }, 90_000);
});

/** The archive lines (`500 http://… bookworm-security/main amd64 Packages`) apt-cache policy lists under a version. */
function policySources(policy: string, version: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of policy.split('\n')) {
    const v = /^ {5}(?:\*\*\* )?(\S+) -?\d+$/.exec(line);
    if (v) inside = v[1] === version;
    else if (inside && /^ {8}/.test(line)) out.push(line.trim());
  }
  return out;
}

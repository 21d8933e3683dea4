import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { type FixtureSuite, buildAptRepo } from '../helpers/apt-repo.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'gpg', 'gzip');

/** Two archives that both list libbar 1.0-1 for amd64, built differently (another Source:), so with other bytes. */
const FIRST: FixtureSuite[] = [
  {
    name: 'stable',
    debs: [
      { name: 'app', version: '1.0-1', depends: 'libbar' },
      { name: 'libbar', version: '1.0-1' },
    ],
  },
];
const SECOND: FixtureSuite[] = [{ name: 'other', debs: [{ name: 'libbar', version: '1.0-1', source: 'libbar-rebuilt' }] }];

describe.runIf(ok)('apt stage: one name, version and architecture in two archives with other bytes', () => {
  const keys: GpgKey[] = [];
  const hosts: FileHost[] = [];
  const rings: string[] = [];

  beforeAll(async () => {
    for (const [i, suites] of [FIRST, SECOND].entries()) {
      const key = await makeGpgKey(`Fixture ${i}`);
      keys.push(key);
      const repo = scratch('ferry-apt-same-');
      await buildAptRepo(repo, suites);
      for (const s of suites) await key.signRelease(join(repo, 'dists', s.name, 'Release'), join(repo, 'dists', s.name));
      const host = await startFileHost();
      hosts.push(host);
      for (const name of readdirSync(repo, { recursive: true }) as string[]) {
        const p = join(repo, name);
        if (statSync(p).isFile()) host.files.set(`/${relative(repo, p)}`, readFileSync(p));
      }
      const ring = join(scratch(), 'ring.gpg');
      writeFileSync(ring, key.publicBinary);
      rings.push(ring);
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    await Promise.all(keys.map((k) => k.stop()));
  });

  it('stages the stanza of the deb the lock carries, not the other archive’s', async () => {
    const dir = scratch();
    const entry = (url: string, suite: string, ring: string, extra = '') =>
      `    - url: ${url}\n      suites: [${suite}]\n      components: [main]\n      keyring: ${ring}\n${extra}`;
    const spec =
      '  apt:\n' +
      entry((hosts[0] as FileHost).url, 'stable', rings[0] as string, '      packages: [app]\n') +
      entry((hosts[1] as FileHost).url, 'other', rings[1] as string);
    const { result } = await pull(writeManifest(dir, spec), join(dir, 'b.tar'), []);
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8')) as { apt: { debs: { name: string; sha256: string }[] }[] };
    const locked = lock.apt.flatMap((s) => s.debs).find((d) => d.name === 'libbar');
    expect(locked).toBeDefined();
    const staged = join(dir, 'staged');
    await stageBundle({ bundlePath: join(dir, 'b.tar'), dir: staged });
    const packages = readFileSync(join(staged, 'apt/dists/ferry/main/binary-amd64/Packages'), 'utf8');
    const stanza = packages.split(/\n\n+/).find((s) => /^Package: libbar$/m.test(s)) ?? '';
    const pool = readFileSync(join(staged, 'apt', /^Filename: (\S+)$/m.exec(stanza)?.[1] ?? 'missing'));
    const actual = createHash('sha256').update(pool).digest('hex');
    expect(actual).toBe(locked?.sha256);
    expect(/^SHA256: (\S+)$/m.exec(stanza)?.[1]).toBe(actual);
  }, 60_000);
});

import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/core/digest.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../src/core/media-types.js';
import { buildAptRepo } from '../helpers/apt-repo.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { runMeasured } from '../helpers/measured-run.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'gpg', 'gzip', 'tar', '/usr/bin/time');

/** Peak RSS a bounded run stays under; the unbounded code reached 4.3 GB on the same 2 MB input. */
const RSS_BOUND_MIB = 300;
const INDEX = 'main/binary-amd64/Packages';

/**
 * A 2 MB Packages.gz that expands to 2 GiB: the real index as the first gzip member, then 128 members of 16 MiB of
 * newlines each (RFC 1952 §2.2: a gzip file is a series of members; every gunzip reads them all).
 */
function gzipBomb(realPackages: Buffer): Buffer {
  const member = gzipSync(Buffer.alloc(16 << 20, 0x0a), { level: 9 });
  return Buffer.concat([gzipSync(realPackages), ...Array.from({ length: 128 }, () => member)]);
}

/**
 * The suite's Release with Packages.gz's SHA256 line replaced by the bomb's, every other hash section dropped (ferry
 * reads SHA256 only), and, with `listPackages: false`, no line for the uncompressed Packages at all.
 */
function releaseFor(original: string, bomb: Buffer, listPackages: boolean): string {
  const out: string[] = [];
  let section = '';
  for (const line of original.split('\n')) {
    if (/^\S/.test(line)) section = line.split(':')[0] as string;
    if (/^(MD5Sum|SHA1|SHA512):/.test(line) || (/^\s/.test(line) && section !== 'SHA256')) continue;
    if (line.endsWith(` ${INDEX}.gz`)) out.push(` ${sha256(bomb).slice(7)} ${bomb.length} ${INDEX}.gz`);
    else if (line.endsWith(` ${INDEX}`) && !listPackages) continue;
    else out.push(line);
  }
  return out.join('\n');
}

async function signed(key: GpgKey, release: string): Promise<Buffer> {
  const dir = scratch('ferry-bomb-release-');
  writeFileSync(join(dir, 'Release'), release);
  await key.signRelease(join(dir, 'Release'), dir);
  return readFileSync(join(dir, 'InRelease'));
}

describe.runIf(ok)('a gzip bomb in an apt index: refused with bounded memory, naming the file, the cap and the Release', () => {
  let host: FileHost;
  let key: GpgKey;
  let keyring: string;
  let realPackages: Buffer;
  let release: string;
  let bomb: Buffer;

  beforeAll(async () => {
    key = await makeGpgKey('Bomb Archive');
    const repo = scratch('ferry-bomb-repo-');
    await buildAptRepo(repo, [
      {
        name: 'stable',
        debs: [
          { name: 'app', version: '1.0-1', depends: 'libfoo' },
          { name: 'libfoo', version: '1.1-1' },
        ],
      },
    ]);
    await key.signRelease(join(repo, 'dists/stable/Release'), join(repo, 'dists/stable'));
    host = await startFileHost();
    for (const name of readdirSync(repo, { recursive: true }) as string[]) {
      const p = join(repo, name);
      if (statSync(p).isFile()) host.files.set(`/debian/${relative(repo, p)}`, readFileSync(p));
    }
    keyring = join(scratch(), 'keyring.gpg');
    writeFileSync(keyring, key.publicBinary);
    realPackages = readFileSync(join(repo, 'dists/stable', INDEX));
    release = readFileSync(join(repo, 'dists/stable/Release'), 'utf8');
    bomb = gzipBomb(realPackages);
    expect(bomb.length).toBeLessThan(3 << 20);
  }, 120_000);
  afterAll(async () => host?.stop());

  const spec = (url: string) =>
    `  apt:\n    - url: ${url}\n      suites: [stable]\n      components: [main]\n      architectures: [amd64]\n      keyring: ${keyring}\n      packages: [app]\n`;

  /** The same archive under `/<prefix>`, its Packages.gz a bomb the (re-)signed InRelease vouches for. */
  async function hostileArchive(prefix: string, listPackages: boolean): Promise<string> {
    for (const [path, body] of [...host.files])
      if (path.startsWith('/debian/')) host.files.set(path.replace('/debian/', `/${prefix}/`), body);
    host.files.set(`/${prefix}/dists/stable/${INDEX}.gz`, bomb);
    host.files.set(`/${prefix}/dists/stable/InRelease`, await signed(key, releaseFor(release, bomb, listPackages)));
    return `${host.url}/${prefix}`;
  }

  it('pull: a Packages.gz longer than the signed Release says is cut off at that size (SIZE_MISMATCH), not read whole', async () => {
    for (const [path, body] of [...host.files]) if (path.startsWith('/debian/')) host.files.set(path.replace('/debian/', '/long/'), body);
    host.files.set(`/long/dists/stable/${INDEX}.gz`, bomb); // the InRelease still lists the real, small Packages.gz
    const dir = scratch();
    const listed = (host.files.get(`/debian/dists/stable/${INDEX}.gz`) as Buffer).length;
    await expect(pull(writeManifest(dir, spec(`${host.url}/long`)), join(dir, 'b.tar'), [])).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
      message: `${host.url}/long/dists/stable/${INDEX}.gz: longer than the ${listed} bytes the signed InRelease of stable lists for it`,
    });
  });

  for (const listPackages of [true, false]) {
    const cap = () =>
      listPackages
        ? `expands past ${realPackages.length} bytes, the size the signed InRelease lists for ${INDEX}`
        : 'the most ferry reads of an index';
    it(`pull: the index is refused (exit 3) under ${RSS_BOUND_MIB} MiB RSS (${listPackages ? 'Packages listed' : 'Packages not listed'})`, async () => {
      const dir = scratch();
      const url = await hostileArchive(listPackages ? 'listed' : 'unlisted', listPackages);
      const r = await runMeasured([
        'bundle',
        'pull',
        writeManifest(dir, spec(url)),
        '-o',
        join(dir, 'b.tar'),
        '--cache',
        join(dir, 'cache'),
      ]);
      expect(r.stderr).toContain(`dists/stable/${INDEX}.gz`);
      expect(r.stderr).toContain(cap());
      expect(r.code).toBe(3);
      expect(r.rssMiB).toBeLessThan(RSS_BOUND_MIB);
    });

    it(`verify and stage --no-verify: a crafted bundle (SHA256SUMS recomputed) is refused under ${RSS_BOUND_MIB} MiB RSS (${listPackages ? 'Packages listed' : 'Packages not listed'})`, async () => {
      const dir = scratch();
      const { result } = await pull(writeManifest(dir, spec(`${host.url}/debian`)), join(dir, 'good.tar'), []);
      const crafted = join(dir, 'crafted.tar');
      const inRelease = await signed(key, releaseFor(release, bomb, listPackages));
      const b = new CraftedBundle(result.bundle);
      const meta = b.blobJson(b.indexEntry((d) => d.annotations?.[Annotation.Kind] === 'apt-meta').digest) as ImageManifest;
      const layer = (title: string) => meta.layers.find((l) => l.annotations?.[Annotation.Title] === title) as Descriptor;
      // Each blob swapped for the attacker's; the apt-meta manifest and index.json follow the new digests.
      b.replaceBlob(layer(`dists/stable/${INDEX}.gz`).digest, bomb).replaceBlob(layer('dists/stable/InRelease').digest, inRelease);
      b.editJson('ferry.lock.json', (lock) => {
        const rel = lock.apt[0].releases[0];
        rel.sha256 = sha256(inRelease).slice(7);
        rel.indexes[0] = { ...rel.indexes[0], sha256: sha256(bomb).slice(7), size: bomb.length };
      });
      b.write(crafted);
      const v = await runMeasured(['bundle', 'verify', crafted]);
      expect(v.stdout + v.stderr).toContain(`dists/stable/${INDEX}.gz`);
      expect(v.stdout + v.stderr).toContain(cap());
      expect(v.code).toBe(3);
      expect(v.rssMiB).toBeLessThan(RSS_BOUND_MIB);

      const s = await runMeasured(['bundle', 'stage', crafted, '--dir', join(dir, 'staged'), '--no-verify']);
      expect(s.stderr).toContain(`dists/stable/${INDEX}.gz: expands past`);
      expect(s.code).toBe(3);
      expect(s.rssMiB).toBeLessThan(RSS_BOUND_MIB);
    });
  }
});

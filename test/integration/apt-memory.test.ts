import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/core/digest.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../src/core/media-types.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { runMeasured } from '../helpers/measured-run.js';
import { type SyntheticArchive, buildSyntheticArchive, filesUnder } from '../helpers/synthetic-apt.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('dpkg-deb', 'apt-ftparchive', 'gpg', '/usr/bin/time');

/** The project's bound for verify and stage of an apt bundle, whatever its indexes hold. */
const RSS_BOUND_MIB = 200;
/**
 * How much more verify and stage may take for an index of 200 000 stanzas (150 MB decoded) than for one of 1 000:
 * what streaming leaves (decoder buffers the garbage collector has not yet freed), not the index. Reading the
 * index whole, as before, took 60 to 90 MiB more.
 */
const GROWTH_BOUND_MIB = 45;
const BIG = 200_000;
/** A file in both bundles that takes the small one past verify's 32 MiB threshold for hashing threads. */
const PAD_BYTES = 40 << 20;

/**
 * Memory of verify and stage does not follow the size of the Packages indexes a bundle carries: the same five
 * debs, once with an index of 1 000 stanzas, once with one of 200 000 (shaped like Debian main's, with the same
 * five real stanzas in it), each measured as its own ferry process.
 */
describe.runIf(ok)('apt: verify and stage read a 200 000-stanza index with flat memory', () => {
  let host: FileHost;
  let key: GpgKey;
  let small: string;
  let big: string;
  let archive: SyntheticArchive;

  beforeAll(async () => {
    key = await makeGpgKey('Synthetic Archive');
    const root = scratch('ferry-synthetic-');
    archive = await buildSyntheticArchive(join(root, 'small'), key, { stanzas: 1000, suite: 'synthetic', form: 'gz' });
    const large = await buildSyntheticArchive(join(root, 'big'), key, {
      stanzas: BIG,
      suite: 'synthetic',
      form: 'gz',
      debsFrom: join(root, 'small'),
    });
    expect(large.packagesBytes).toBeGreaterThan(100_000_000);
    host = await startFileHost();
    for (const [path, body] of filesUnder(archive.root, 'small')) host.files.set(path, body);
    // Both bundles above the size from which verify hashes on worker threads (src/verify/hash-plan.ts), so that the
    // two runs differ by the index alone, not by the threads' own memory.
    const pad = Buffer.alloc(PAD_BYTES, 7);
    host.files.set('/pad.bin', pad);
    const dir = scratch();
    const keyring = join(dir, 'keyring.gpg');
    writeFileSync(keyring, key.publicBinary);
    const manifest = writeManifest(
      dir,
      `  files:\n    - url: ${host.url}/pad.bin\n      sha256: ${sha256(pad).slice(7)}\n  apt:\n    - url: ${host.url}/small\n      suites: [synthetic]\n      components: [main]\n      architectures: [amd64]\n      keyring: ${keyring}\n      packages: [${archive.requested}]\n`,
    );
    small = (await pull(manifest, join(dir, 'small.tar'), [])).result.bundle;

    // The same bundle with the big index and the InRelease that signs it, as a pull against the big archive makes it.
    const dists = join(large.root, 'dists', 'synthetic');
    const index = readFileSync(join(dists, large.index));
    const inRelease = readFileSync(join(dists, 'InRelease'));
    const b = new CraftedBundle(small);
    const meta = b.blobJson(b.indexEntry((d) => d.annotations?.[Annotation.Kind] === 'apt-meta').digest) as ImageManifest;
    const layer = (title: string) => meta.layers.find((l) => l.annotations?.[Annotation.Title] === title) as Descriptor;
    b.replaceBlob(layer(`dists/synthetic/${archive.index}`).digest, index).replaceBlob(
      layer('dists/synthetic/InRelease').digest,
      inRelease,
    );
    b.editJson('ferry.lock.json', (lock) => {
      const rel = lock.apt[0].releases[0];
      rel.sha256 = sha256(inRelease).slice(7);
      rel.indexes[0] = { ...rel.indexes[0], sha256: sha256(index).slice(7), size: index.length };
    });
    big = b.write(join(dir, 'big.tar'));
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await key?.stop();
  });

  it(`verify: the whole chain checked under ${RSS_BOUND_MIB} MiB, at most ${GROWTH_BOUND_MIB} MiB above the small index's run`, async () => {
    const s = await runMeasured(['bundle', 'verify', small, '--no-progress']);
    const l = await runMeasured(['bundle', 'verify', big, '--no-progress']);
    expect(s.stderr + s.stdout).toContain('OK');
    expect(l.stderr + l.stdout).toContain('OK');
    expect([s.code, l.code]).toEqual([0, 0]);
    expect(l.rssMiB).toBeLessThan(RSS_BOUND_MIB);
    expect(l.rssMiB - s.rssMiB).toBeLessThan(GROWTH_BOUND_MIB);
  }, 60_000);

  it(`stage: the repository of the five debs, from their five stanzas, under ${RSS_BOUND_MIB} MiB and at most ${GROWTH_BOUND_MIB} MiB above the small index's run`, async () => {
    const dir = scratch();
    const s = await runMeasured(['bundle', 'stage', small, '--dir', join(dir, 'small'), '--no-verify', '--no-progress']);
    const l = await runMeasured(['bundle', 'stage', big, '--dir', join(dir, 'big'), '--no-verify', '--no-progress']);
    expect([s.code, l.code]).toEqual([0, 0]);
    const packages = (d: string) => readFileSync(join(dir, d, 'apt/dists/ferry/main/binary-amd64/Packages'), 'utf8');
    expect(packages('big')).toBe(packages('small'));
    expect([...packages('big').matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]).sort()).toEqual([...archive.real].sort());
    expect(l.rssMiB).toBeLessThan(RSS_BOUND_MIB);
    expect(l.rssMiB - s.rssMiB).toBeLessThan(GROWTH_BOUND_MIB);
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { type FixtureDeb, buildDeb } from './apt-repo.js';
import type { GpgKey } from './gpg.js';

const run = promisify(execFile);

/**
 * A large apt archive for memory and time measurements: one suite whose Packages index holds `stanzas` stanzas
 * shaped like Debian main's (the fields of a real stanza, Depends lists of several versioned relations and
 * alternatives, Provides, Breaks, Tags, a short Description, pool Filename, Size, MD5sum and SHA256; about 700 bytes
 * each, as Debian's 63 000 stanzas are 47 MB), published as `Packages.xz` only (as Debian's -security and -updates
 * suites publish theirs), signed with `key`. Only the `real` packages have .debs in the pool, built with dpkg-deb;
 * their stanzas are spread through the index (first, middle, last); every other stanza names a pool file that does
 * not exist. The real packages depend only on each other, so their closure is exactly `real`.
 */
export interface SyntheticArchive {
  root: string;
  suite: string;
  /** The names of the real packages; `requested` is the one whose closure is all of them. */
  real: string[];
  requested: string;
  /** Sizes of the index, uncompressed and as published. */
  packagesBytes: number;
  packagesXzBytes: number;
}

/** The real packages: a small closure with a versioned dependency, an alternative and a Pre-Depends. */
const REAL: FixtureDeb[] = [
  { name: 'syn-app', version: '2.1-1', depends: 'syn-libone (>= 1.0), syn-libtwo | syn-alt, syn-data', preDepends: 'syn-base' },
  { name: 'syn-libone', version: '1.4-2', depends: 'syn-base' },
  { name: 'syn-libtwo', version: '3:0.9~rc1-1', depends: 'syn-base (>= 1)' },
  { name: 'syn-data', version: '20240101-1', arch: 'all' },
  { name: 'syn-base', version: '1.2-1' },
];

/** A deterministic pseudo-random sequence (xorshift32), so every run builds the same index. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const WORDS = ['lib', 'python3', 'golang', 'node', 'ruby', 'perl', 'gir1.2', 'fonts', 'texlive', 'r-cran', 'php', 'ocaml'];
const SECTIONS = ['libs', 'utils', 'devel', 'python', 'golang', 'web', 'admin', 'net', 'text', 'science', 'doc', 'misc'];

function syntheticStanza(i: number, rnd: () => number, name: (j: number) => string): string {
  const pick = (n: number) => Math.floor(rnd() * n);
  const hex = (bytes: number) => {
    let s = '';
    for (let k = 0; k < bytes; k++)
      s += Math.floor(rnd() * 256)
        .toString(16)
        .padStart(2, '0');
    return s;
  };
  const version = `${pick(4) === 0 ? `${pick(3) + 1}:` : ''}${pick(20)}.${pick(50)}.${pick(10)}-${pick(5) + 1}${pick(6) === 0 ? '+deb12u1' : ''}`;
  const arch = pick(5) === 0 ? 'all' : 'amd64';
  const rel = () => {
    const j = pick(i || 1);
    const v = pick(3) === 0 ? ` (>= ${pick(9)}.${pick(20)}${pick(4) === 0 ? '~' : ''})` : '';
    return `${name(j)}${v}`;
  };
  const group = () => (pick(8) === 0 ? `${rel()} | ${rel()}` : rel());
  const deps = i === 0 ? [] : Array.from({ length: 2 + pick(8) }, group);
  const src = `src-${name(i)}`;
  const file = `pool/main/${src.slice(4, 5)}/${src}/${name(i)}_${version.replace(/^\d+:/, '')}_${arch}.deb`;
  const lines = [
    `Package: ${name(i)}`,
    ...(pick(3) === 0 ? [`Source: ${src} (${version})`] : []),
    `Version: ${version}`,
    `Installed-Size: ${pick(100_000)}`,
    `Maintainer: Synthetic Team <team-${pick(500)}@lists.example.org>`,
    `Architecture: ${arch}`,
    ...(pick(6) === 0 ? ['Multi-Arch: same'] : []),
    ...(pick(10) === 0 ? [`Provides: virt-${pick(2000)}, ${name(i)}-abi-${pick(9)}`] : []),
    ...(deps.length ? [`Depends: ${deps.join(', ')}`] : []),
    ...(pick(10) === 0 ? [`Pre-Depends: ${rel()}`] : []),
    ...(pick(4) === 0 ? [`Recommends: ${group()}, ${rel()}`] : []),
    ...(pick(8) === 0 ? [`Breaks: ${name(pick(i || 1))} (<< ${pick(9)}.${pick(9)})`] : []),
    `Description: synthetic package ${i} for memory measurements of the ${WORDS[pick(WORDS.length)]} stack`,
    ...(pick(3) === 0 ? [`Homepage: https://example.org/projects/${name(i)}`] : []),
    `Description-md5: ${hex(16)}`,
    ...(pick(2) === 0 ? [`Tag: devel::library, implemented-in::c, role::shared-lib, uitoolkit::gtk, works-with::file:${pick(99)}`] : []),
    `Section: ${SECTIONS[pick(SECTIONS.length)]}`,
    `Priority: ${pick(10) === 0 ? 'important' : 'optional'}`,
    `Filename: ${file}`,
    `Size: ${1000 + pick(5_000_000)}`,
    `MD5sum: ${hex(16)}`,
    `SHA256: ${hex(32)}`,
  ];
  return lines.join('\n');
}

/** The stanzas of the real .debs, as apt-ftparchive writes them (control fields, then Filename, Size and sums). */
async function realStanzas(root: string, pool: string): Promise<string[]> {
  const { stdout } = await run('apt-ftparchive', ['packages', pool], { cwd: root, maxBuffer: 16 << 20 });
  return stdout
    .split(/\n\n+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export async function buildSyntheticArchive(root: string, key: GpgKey, stanzas: number, suite = 'big'): Promise<SyntheticArchive> {
  const work = join(root, '.work');
  const pool = join('pool', 'main', 's');
  mkdirSync(join(root, pool), { recursive: true });
  const real: string[] = [];
  for (const d of REAL) {
    const built = await buildDeb(work, d);
    writeFileSync(join(root, pool, built.split('/').pop() as string), readFileSync(built));
    real.push(d.name);
  }
  const reals = await realStanzas(root, pool);
  const rnd = random(0x5eed);
  const width = String(stanzas).length;
  const name = (j: number) => `${WORDS[j % WORDS.length]}-syn${String(j).padStart(width, '0')}`;
  const bin = join(root, 'dists', suite, 'main', 'binary-amd64');
  mkdirSync(bin, { recursive: true });
  const at = new Map(reals.map((s, k) => [Math.floor((k * (stanzas - 1)) / Math.max(1, reals.length - 1)), s]));
  const parts: string[] = [];
  for (let i = 0; i < stanzas; i++) parts.push(at.get(i) ?? syntheticStanza(i, rnd, name));
  const packages = Buffer.from(`${parts.join('\n\n')}\n`);
  writeFileSync(join(bin, 'Packages'), packages);
  // -T0 -1: a 150 MB index in a few seconds; Debian uses -9, which changes the size, not the decoding.
  await run('xz', ['-T0', '-1', '-kf', join(bin, 'Packages')]);
  const xz = readFileSync(join(bin, 'Packages.xz'));
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const release = [
    'Origin: Synthetic',
    'Label: Synthetic',
    `Suite: ${suite}`,
    `Codename: ${suite}`,
    `Date: ${new Date().toUTCString()}`,
    'Architectures: amd64',
    'Components: main',
    'SHA256:',
    ` ${sha(packages)} ${packages.length} main/binary-amd64/Packages`,
    ` ${sha(xz)} ${xz.length} main/binary-amd64/Packages.xz`,
    '',
  ].join('\n');
  // Like Debian's security archive: only the .xz is served.
  rmSync(join(bin, 'Packages'));
  writeFileSync(join(root, 'dists', suite, 'Release'), release);
  await key.signRelease(join(root, 'dists', suite, 'Release'), join(root, 'dists', suite));
  rmSync(work, { recursive: true, force: true });
  return { root, suite, real, requested: 'syn-app', packagesBytes: packages.length, packagesXzBytes: xz.length };
}

/** Every file under `root`, keyed `/<prefix>/<path>`, for a FileHost. */
export function filesUnder(root: string, prefix: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    const p = join(root, name);
    if (statSync(p).isFile()) out.set(`/${prefix}/${relative(root, p)}`, readFileSync(p));
  }
  return out;
}

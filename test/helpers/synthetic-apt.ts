import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type FixtureDeb, buildDeb } from './apt-repo.js';
import type { GpgKey } from './gpg.js';

const run = promisify(execFile);

/**
 * A large apt archive for memory and time measurements: one suite whose Packages index holds `stanzas` stanzas
 * shaped like Debian main's (the fields of a real stanza, Depends lists of several versioned relations and
 * alternatives, Provides, Breaks, Tags, a short Description, pool Filename, Size, MD5sum and SHA256; about 700 bytes
 * each, as Debian's 63 000 stanzas are 47 MB), published as `Packages.xz` only (as Debian's -security and -updates
 * suites publish theirs; or .gz, quicker to build), signed with `key`. Only the `real` packages have .debs in the pool, built with dpkg-deb;
 * their stanzas are spread through the index (first, middle, last); every other stanza names a pool file that does
 * not exist. The real packages depend only on each other, so their closure is exactly `real`.
 */
export interface SyntheticArchive {
  root: string;
  suite: string;
  /** The names of the real packages; `requested` is the one whose closure is all of them. */
  real: string[];
  requested: string;
  /** The index's path under dists/<suite>/ (`main/binary-amd64/Packages.xz`), and its sizes, uncompressed and as published. */
  index: string;
  packagesBytes: number;
  packagesCompressedBytes: number;
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

/** Random bytes of the same sequence, read as hex (Description-md5, MD5sum, SHA256 look random, as real ones do). */
function hexSource(rnd: () => number): (bytes: number) => string {
  const pool = Buffer.alloc(1 << 20);
  for (let k = 0; k < pool.length; k += 4) pool.writeUInt32LE(Math.floor(rnd() * 0x100000000), k);
  let at = 0;
  return (bytes) => {
    if (at + bytes > pool.length) at = Math.floor(rnd() * 64);
    return pool.toString('hex', at, (at += bytes));
  };
}

function syntheticStanza(i: number, rnd: () => number, name: string[], hex: (bytes: number) => string): string {
  const pick = (n: number) => Math.floor(rnd() * n);
  const version = `${pick(4) === 0 ? `${pick(3) + 1}:` : ''}${pick(20)}.${pick(50)}.${pick(10)}-${pick(5) + 1}${pick(6) === 0 ? '+deb12u1' : ''}`;
  const arch = pick(5) === 0 ? 'all' : 'amd64';
  const rel = () => {
    const j = pick(i || 1);
    const v = pick(3) === 0 ? ` (>= ${pick(9)}.${pick(20)}${pick(4) === 0 ? '~' : ''})` : '';
    return `${name[j]}${v}`;
  };
  const group = () => (pick(8) === 0 ? `${rel()} | ${rel()}` : rel());
  let deps = '';
  if (i > 0) for (let n = 2 + pick(8); n > 0; n--) deps += deps === '' ? group() : `, ${group()}`;
  const own = name[i] as string;
  const src = `src-${own}`;
  const file = `pool/main/${src.slice(4, 5)}/${src}/${own}_${version.replace(/^\d+:/, '')}_${arch}.deb`;
  const lines = [
    `Package: ${own}`,
    ...(pick(3) === 0 ? [`Source: ${src} (${version})`] : []),
    `Version: ${version}`,
    `Installed-Size: ${pick(100_000)}`,
    `Maintainer: Synthetic Team <team-${pick(500)}@lists.example.org>`,
    `Architecture: ${arch}`,
    ...(pick(6) === 0 ? ['Multi-Arch: same'] : []),
    ...(pick(10) === 0 ? [`Provides: virt-${pick(2000)}, ${own}-abi-${pick(9)}`] : []),
    ...(deps ? [`Depends: ${deps}`] : []),
    ...(pick(10) === 0 ? [`Pre-Depends: ${rel()}`] : []),
    ...(pick(4) === 0 ? [`Recommends: ${group()}, ${rel()}`] : []),
    ...(pick(8) === 0 ? [`Breaks: ${name[pick(i || 1)]} (<< ${pick(9)}.${pick(9)})`] : []),
    `Description: synthetic package ${i} for memory measurements of the ${WORDS[pick(WORDS.length)]} stack`,
    ...(pick(3) === 0 ? [`Homepage: https://example.org/projects/${own}`] : []),
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

/** `xz -T0 -1` of `input`, through its stdin and stdout. */
function xz(input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('xz', ['-T0', '-1', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`xz exited ${code}`))));
    child.stdin.end(input);
  });
}

/** The stanzas of the real .debs, as apt-ftparchive writes them (control fields, then Filename, Size and sums). */
async function realStanzas(root: string, pool: string): Promise<string[]> {
  const { stdout } = await run('apt-ftparchive', ['packages', pool], { cwd: root, maxBuffer: 16 << 20 });
  return stdout
    .split(/\n\n+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export interface SyntheticOptions {
  stanzas: number;
  suite?: string;
  /** How the index is published: `xz` (as Debian's -updates and -security suites), or `gz`, quicker to build. */
  form?: 'xz' | 'gz';
  /** Another synthetic archive's root whose .debs to carry over byte for byte (dpkg-deb stamps each build). */
  debsFrom?: string;
}

export async function buildSyntheticArchive(root: string, key: GpgKey, opts: SyntheticOptions): Promise<SyntheticArchive> {
  const { stanzas, suite = 'big', form = 'xz' } = opts;
  const work = join(root, '.work');
  const pool = join('pool', 'main', 's');
  mkdirSync(join(root, pool), { recursive: true });
  const real = REAL.map((d) => d.name);
  for (const d of REAL) {
    const file = `${d.name}_${d.version.replace(/^\d+:/, '')}_${d.arch ?? 'amd64'}.deb`;
    const built = opts.debsFrom ? join(opts.debsFrom, pool, file) : await buildDeb(work, d);
    writeFileSync(join(root, pool, file), readFileSync(built));
  }
  const reals = await realStanzas(root, pool);
  const rnd = random(0x5eed);
  const width = String(stanzas).length;
  const name = Array.from({ length: stanzas }, (_, j) => `${WORDS[j % WORDS.length]}-syn${String(j).padStart(width, '0')}`);
  const hex = hexSource(rnd);
  const bin = join(root, 'dists', suite, 'main', 'binary-amd64');
  mkdirSync(bin, { recursive: true });
  const at = new Map(reals.map((s, k) => [Math.floor((k * (stanzas - 1)) / Math.max(1, reals.length - 1)), s]));
  const parts: string[] = [];
  for (let i = 0; i < stanzas; i++) parts.push(at.get(i) ?? syntheticStanza(i, rnd, name, hex));
  const packages = Buffer.from(`${parts.join('\n\n')}\n`);
  const published = `Packages.${form}`;
  // -T0 -1: the quickest xz makes; Debian uses -9, which changes the size, not how the index decodes.
  const compressed = form === 'xz' ? await xz(packages) : gzipSync(packages, { level: 1 });
  writeFileSync(join(bin, published), compressed);
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
    ` ${sha(compressed)} ${compressed.length} main/binary-amd64/${published}`,
    '',
  ].join('\n');
  // Like Debian's security archive, only the compressed index is served (the Release lists the plain one too).
  writeFileSync(join(root, 'dists', suite, 'Release'), release);
  await key.signRelease(join(root, 'dists', suite, 'Release'), join(root, 'dists', suite));
  rmSync(work, { recursive: true, force: true });
  return {
    root,
    suite,
    real,
    requested: 'syn-app',
    packagesBytes: packages.length,
    packagesCompressedBytes: compressed.length,
    index: `main/binary-amd64/${published}`,
  };
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

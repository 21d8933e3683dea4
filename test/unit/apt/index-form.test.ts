import { describe, expect, it } from 'vitest';
import { byHashPath, indexChoices, isIndexPath, uncompressedPath } from '../../../src/kinds/apt/index-form.js';
import { parseReleaseFile } from '../../../src/kinds/apt/release-file.js';

const HEX = 'a'.repeat(64);
const release = (paths: string[], extra = '') =>
  parseReleaseFile(`Suite: s\n${extra}SHA256:\n${paths.map((p) => ` ${HEX} 10 ${p}`).join('\n')}\n`, 'http://h/dists/s/InRelease');
const ctx = { suite: 's', release: 'http://h/dists/s/InRelease' };

describe('index forms: the signed Release decides which Packages index is read', () => {
  it('prefers Packages.xz, then Packages.gz, then the plain Packages', () => {
    const dir = 'main/binary-amd64';
    expect(indexChoices(release([`${dir}/Packages`, `${dir}/Packages.gz`, `${dir}/Packages.xz`]), dir, ctx).map((c) => c.path)).toEqual([
      `${dir}/Packages.xz`,
      `${dir}/Packages.gz`,
      `${dir}/Packages`,
    ]);
    expect(indexChoices(release([`${dir}/Packages`]), dir, ctx).map((c) => c.path)).toEqual([`${dir}/Packages`]);
  });

  it('names what the Release lists when no form is one ferry reads, and keeps the hint when it lists none', () => {
    const dir = 'main/binary-amd64';
    expect(() => indexChoices(release([`${dir}/Packages.bz2`]), dir, ctx)).toThrow(
      'suite s: http://h/dists/s/InRelease lists main/binary-amd64/Packages.bz2 but none of main/binary-amd64/Packages.xz, main/binary-amd64/Packages.gz, main/binary-amd64/Packages, the index forms ferry reads',
    );
    expect(() => indexChoices(release(['main/binary-arm64/Packages.xz']), dir, ctx)).toThrow(
      'http://h/dists/s/InRelease does not list main/binary-amd64/Packages.gz (is the component or architecture right?)',
    );
  });

  it('reads Acquire-By-Hash, and places by-hash files beside the index', () => {
    expect(release([]).acquireByHash).toBeUndefined();
    expect(release([], 'Acquire-By-Hash: yes\n').acquireByHash).toBe(true);
    expect(byHashPath('main/binary-amd64/Packages.xz', HEX)).toBe(`main/binary-amd64/by-hash/SHA256/${HEX}`);
    expect(uncompressedPath('main/binary-amd64/Packages.xz')).toBe('main/binary-amd64/Packages');
    expect(
      ['Packages', 'Packages.gz', 'Packages.xz', 'Packages.bz2', 'Release'].map((p) => isIndexPath(`dists/s/main/binary-amd64/${p}`)),
    ).toEqual([true, true, true, false, false]);
  });
});

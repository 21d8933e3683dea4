import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Header } from 'tar';
import { describe, expect, it } from 'vitest';
import { HeaderError, decodeHeader, encodeFileHeader, isSafeEntryPath, paddingFor } from '../../../src/bundle/tar-format.js';
import { tempDir } from './fixtures.js';

describe('ustar headers', () => {
  it('round-trips a file header with ferry fixed fields', () => {
    const block = encodeFileHeader('blobs/sha256/' + 'a'.repeat(64), 12345);
    expect(block.length).toBe(512);
    expect(decodeHeader(block, 0)).toEqual({ path: 'blobs/sha256/' + 'a'.repeat(64), size: 12345, kind: 'file' });
    const h = new Header(block);
    expect([h.mode, h.uid, h.gid, h.uname, h.gname, h.mtime?.getTime()]).toEqual([0o644, 0, 0, '', '', 0]);
    expect(block.subarray(257, 263).toString('latin1')).toBe('ustar\0');
  });

  it('uses the ustar prefix field for long paths and reads it back', () => {
    const path = 'd'.repeat(120) + '/file.txt';
    expect(decodeHeader(encodeFileHeader(path, 1), 0)).toMatchObject({ path });
  });

  it('refuses a path that would need a pax header', () => {
    expect(() => encodeFileHeader('x'.repeat(150), 1)).toThrow(/ustar/);
    expect(() => encodeFileHeader('bad name', 1)).toThrow(/ustar/);
  });

  it('encodes sizes of 8 GiB and more (base-256) and decodes them', () => {
    const big = 9 * 1024 ** 3 + 7;
    expect(decodeHeader(encodeFileHeader('big', big), 0)).toMatchObject({ size: big });
  });

  it('recognises the end-of-archive zero block and rejects a bad checksum', () => {
    expect(decodeHeader(Buffer.alloc(512), 0)).toBe('end');
    const block = encodeFileHeader('a', 1);
    block[0] = 'b'.charCodeAt(0);
    expect(() => decodeHeader(block, 0)).toThrow(HeaderError);
  });

  it('rejects pax, GNU long-name and symlink entries made by GNU tar', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'src'));
    const long = 'n'.repeat(120);
    writeFileSync(join(dir, 'src', long), 'x');
    execFileSync('tar', ['--format=pax', '-cf', join(dir, 'pax.tar'), '-C', join(dir, 'src'), long]);
    execFileSync('tar', ['--format=gnu', '-cf', join(dir, 'gnu.tar'), '-C', join(dir, 'src'), long]);
    execFileSync('ln', ['-s', 'target', join(dir, 'src', 'link')]);
    execFileSync('tar', ['--format=ustar', '-cf', join(dir, 'sym.tar'), '-C', join(dir, 'src'), 'link']);
    expect(() => decodeHeader(readFileSync(join(dir, 'pax.tar')), 0)).toThrow(/pax extended header/);
    expect(() => decodeHeader(readFileSync(join(dir, 'gnu.tar')), 0)).toThrow(/GNU long-name/);
    expect(() => decodeHeader(readFileSync(join(dir, 'sym.tar')), 0)).toThrow(/only regular files/);
  });

  it('pads to 512-byte blocks', () => {
    expect([0, 1, 511, 512, 513].map(paddingFor)).toEqual([0, 511, 1, 0, 511]);
  });

  it('accepts only relative paths without dot components', () => {
    expect(isSafeEntryPath('blobs/sha256/ab')).toBe(true);
    expect(isSafeEntryPath('blobs/')).toBe(true);
    for (const p of ['/etc/passwd', '../x', 'a/../b', 'a//b', './a', '']) expect(isSafeEntryPath(p)).toBe(false);
  });
});

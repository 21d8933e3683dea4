import { describe, expect, it } from 'vitest';
import { findChecksum, parseChecksumList } from '../../../src/kinds/file/checksum-list.js';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);

describe('checksum lists (sha256sum format)', () => {
  const list = parseChecksumList(`${A}  velero-v1.9.1-linux-amd64.tar.gz\n# comment\n${B} *./dist/rke2.linux-amd64.tar.gz\nnot a line\n`);

  it('parses text and binary mode lines with their line numbers', () => {
    expect(list).toEqual([
      { sha256: A, name: 'velero-v1.9.1-linux-amd64.tar.gz', line: 1 },
      { sha256: 'b'.repeat(64), name: './dist/rke2.linux-amd64.tar.gz', line: 3 },
    ]);
  });

  it('finds by exact name or base name', () => {
    expect(findChecksum(list, 'rke2.linux-amd64.tar.gz', 'u').line).toBe(3);
  });

  it('names the file and the list when the file is absent', () => {
    expect(() => findChecksum(list, 'other.tar.gz', 'http://x/CHECKSUM')).toThrowError(
      expect.objectContaining({ code: 'CHECKSUM_MISSING', message: 'other.tar.gz: not listed in checksum file http://x/CHECKSUM' }),
    );
  });

  it('refuses a name listed with conflicting hashes', () => {
    const dup = parseChecksumList(`${A}  f\n${'c'.repeat(64)}  f\n`);
    expect(() => findChecksum(dup, 'f', 'u')).toThrow(/2 different hashes/);
  });
});

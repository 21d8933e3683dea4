import { describe, expect, it } from 'vitest';
import { formatSha256Sums, parseSha256Sums } from '../../../src/bundle/sha256sums.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('SHA256SUMS', () => {
  it('formats sorted by path in sha256sum text mode and parses back', () => {
    const text = formatSha256Sums([
      { hex: B, path: 'index.json' },
      { hex: A, path: 'blobs/sha256/' + A },
    ]).toString();
    expect(text).toBe(`${A}  blobs/sha256/${A}\n${B}  index.json\n`);
    expect([...parseSha256Sums(text)]).toEqual([
      [`blobs/sha256/${A}`, A],
      ['index.json', B],
    ]);
  });

  it('parses an empty file as no entries', () => {
    expect(parseSha256Sums('').size).toBe(0);
  });

  it.each([
    ['one space', `${A} index.json\n`],
    ['binary-mode star', `${A} *index.json\n`],
    ['upper-case hex', `${A.toUpperCase()}  index.json\n`],
    ['short hash', `${A.slice(1)}  index.json\n`],
    ['no trailing newline', `${A}  index.json`],
    ['blank line', `${A}  index.json\n\n`],
    ['duplicate path', `${A}  index.json\n${B}  index.json\n`],
    ['carriage return', `${A}  index.json\r\n`],
  ])('rejects %s', (_why, text) => {
    expect(() => parseSha256Sums(text)).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
  });

  it('refuses to format paths coreutils would escape, bad hashes and duplicates', () => {
    expect(() => formatSha256Sums([{ hex: A, path: 'a\\b' }])).toThrow();
    expect(() => formatSha256Sums([{ hex: A, path: 'a\nb' }])).toThrow();
    expect(() => formatSha256Sums([{ hex: 'xyz', path: 'a' }])).toThrow();
    expect(() =>
      formatSha256Sums([
        { hex: A, path: 'a' },
        { hex: B, path: 'a' },
      ]),
    ).toThrow(/twice/);
  });
});

import { describe, expect, it } from 'vitest';
import { fileNameFromUrl, fileNameProblem } from '../../../src/manifest/file-name.js';

describe('file names', () => {
  it('derives the last path segment, percent-decoded, ignoring query and fragment', () => {
    expect(fileNameFromUrl(new URL('https://e.org/a/b/tool%20x.tar.gz?x=1#y'))).toBe('tool x.tar.gz');
    expect(fileNameFromUrl(new URL('https://e.org/a/'))).toBe('');
    expect(fileNameFromUrl(new URL('https://e.org/%E0%A4%A'))).toBeUndefined();
  });

  it('accepts plain names and refuses anything that is not one path component', () => {
    expect(fileNameProblem('velero-v1.9.1-linux-amd64.tar.gz')).toBeUndefined();
    expect(fileNameProblem('ünïcødé name')).toBeUndefined();
    expect(fileNameProblem('a'.repeat(255))).toBeUndefined();
    expect(fileNameProblem('é'.repeat(128))).toBe('is longer than 255 bytes'); // 256 bytes in UTF-8
    expect(fileNameProblem('')).toBe('is empty');
    expect(fileNameProblem('.')).toBe('is a directory name');
    expect(fileNameProblem('..')).toBe('is a directory name');
    expect(fileNameProblem('a/b')).toBe('must not contain / or \\');
    expect(fileNameProblem('a\\b')).toBe('must not contain / or \\');
    expect(fileNameProblem('a\0b')).toBe('must not contain NUL');
  });
});

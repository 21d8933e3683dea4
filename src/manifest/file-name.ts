import { isPlainText } from '../validate/untrusted-text.js';

/**
 * File names in a bundle become paths under files/ in the archive and under the staging directory, so a name
 * must stay a single path component: no separator, not `.` or `..`, no NUL, and within the 255-byte limit that
 * common file systems (ext4, XFS, NTFS) and ustar/pax member names impose on one component. A name is also a line
 * of the staged SHA256SUMS and of terminal output, so control and bidi characters are refused as well (the
 * enclave's gate refuses them too: src/validate/grammar.ts).
 */
export function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return 'is a directory name';
  if (name.includes('/') || name.includes('\\')) return 'must not contain / or \\';
  if (name.includes('\0')) return 'must not contain NUL';
  if (!isPlainText(name)) return 'must not contain control characters (newline, escape, …)';
  if (Buffer.byteLength(name, 'utf8') > 255) return 'is longer than 255 bytes';
  return undefined;
}

/**
 * The default file name: the URL's last path segment, percent-decoded (`tool%20x.tgz` → `tool x.tgz`).
 * Returns undefined when the segment is not valid percent-encoding.
 */
export function fileNameFromUrl(url: URL): string | undefined {
  const segment = url.pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

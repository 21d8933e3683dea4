/**
 * File names in a bundle become paths under files/ in the archive and under the staging directory, so a name
 * must stay a single path component: no separator, not `.` or `..`, no NUL, and within the 255-byte limit that
 * common file systems (ext4, XFS, NTFS) and ustar/pax member names impose on one component.
 */
export function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return 'is a directory name';
  if (name.includes('/') || name.includes('\\')) return 'must not contain / or \\';
  if (name.includes('\0')) return 'must not contain NUL';
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

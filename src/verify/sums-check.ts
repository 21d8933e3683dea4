import { BLOB_DIR, SIGNATURE_FILE, SUMS_FILE, blobHexFromPath } from '../bundle/format.js';
import { parseSha256Sums } from '../bundle/sha256sums.js';
import type { Problem } from './problem.js';

/** One tar member as the verify pass saw it. */
export interface Scanned {
  path: string;
  size: number;
  offset: number;
  kind: 'file' | 'directory';
  /** sha256 of the data; undefined when the archive ended inside this member. */
  hex?: string;
}

/** Directory entries a tool may add when repacking; harmless, so not reported. */
const ALLOWED_DIRS = new Set(['blobs/', BLOB_DIR]);

/** SHA256SUMS parsed strictly, or undefined (and a problem) when it is absent or unreadable. */
export function readSums(body: Buffer | undefined, present: boolean, problems: Problem[]): Map<string, string> | undefined {
  if (!body) {
    // Absent, cut short or oversized (the last two are already reported): nothing to compare against.
    if (!present) problems.push({ path: SUMS_FILE, code: 'MISSING', message: `${SUMS_FILE} is missing: contents cannot be checked` });
    return undefined;
  }
  try {
    const sums = parseSha256Sums(body);
    if (sums.has(SUMS_FILE)) problems.push({ path: SUMS_FILE, code: 'MALFORMED', message: `${SUMS_FILE} lists itself` });
    return sums;
  } catch (err) {
    problems.push({ path: SUMS_FILE, code: 'MALFORMED', message: (err as Error).message });
    return undefined;
  }
}

/**
 * Members against SHA256SUMS, both ways: every member listed with its hash (a blob's hash being its name), and every
 * line naming a file member — a line for a file the archive lacks, for the signature (which cannot be listed in what
 * it signs) or for a directory is reported, so SHA256SUMS says exactly what the archive holds.
 */
export function compareWithSums(scanned: Scanned[], byPath: Map<string, Scanned>, sums: Map<string, string>): Problem[] {
  const problems: Problem[] = [];
  for (const rec of scanned) {
    const { path } = rec;
    if (path === SUMS_FILE || path === SIGNATURE_FILE) continue; // the signature cannot be listed in what it signs
    if (rec.kind === 'directory') {
      if (!ALLOWED_DIRS.has(path)) problems.push({ path, code: 'UNEXPECTED', message: `directory ${path} is not part of a bundle` });
      continue;
    }
    const expected = sums.get(path);
    if (expected === undefined) {
      problems.push({ path, code: 'UNEXPECTED', message: `${path} is in the archive but not listed in ${SUMS_FILE}` });
      continue;
    }
    if (rec.hex !== undefined && rec.hex !== expected) {
      problems.push({
        path,
        code: 'DIGEST_MISMATCH',
        expected,
        actual: rec.hex,
        message: `${path}: content hashes to ${rec.hex}, ${SUMS_FILE} says ${expected}`,
      });
    }
    if (path.startsWith(BLOB_DIR)) {
      const name = blobHexFromPath(path);
      if (name === undefined) {
        problems.push({ path, code: 'BLOB_NAME_MISMATCH', actual: expected, message: `${path} is not named by a sha256 hex digest` });
      } else if (name !== expected) {
        problems.push({
          path,
          code: 'BLOB_NAME_MISMATCH',
          expected: name,
          actual: expected,
          message: `${path}: ${SUMS_FILE} lists it with hash ${expected}, not its name`,
        });
      }
    }
  }
  for (const [path, hex] of sums) {
    if (path === SUMS_FILE) continue; // reported by readSums
    const rec = byPath.get(path);
    if (path === SIGNATURE_FILE)
      problems.push({ path, code: 'MALFORMED', message: `${SUMS_FILE} lists ${SIGNATURE_FILE}, which cannot be covered by what it signs` });
    else if (!rec)
      problems.push({ path, code: 'MISSING', expected: hex, message: `${path} is listed in ${SUMS_FILE} but not in the archive` });
    else if (rec.kind !== 'file')
      problems.push({
        path,
        code: 'MALFORMED',
        expected: hex,
        message: `${SUMS_FILE} lists ${path}, which is a directory in the archive, not a file`,
      });
  }
  return problems;
}

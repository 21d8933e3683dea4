import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FerryError } from '../core/errors.js';
import { controlProblem, quoteUntrusted } from './untrusted-text.js';

/**
 * Joins path parts under `base` and refuses anything that could leave it. Every part must be a relative path of
 * plain segments: no empty segment, no `.` or `..`, no backslash (a separator on Windows and in some tools), no NUL,
 * no percent-encoded `.`, `/`, `\`, NUL or `%` (so `%2e%2e%2f` can never be decoded into a traversal later), and no
 * absolute part, and no control character (a newline in a path is never one ferry made). The result
 * is checked once more to lie inside `base` after resolution. Callers that write files under a directory they were
 * given (stage's --dir) build every path through this.
 */
export function safeJoin(base: string, ...parts: string[]): string {
  const segments: string[] = [];
  for (const part of parts) {
    const why = partProblem(part);
    if (why) throw refused(base, parts, why);
    segments.push(...part.split('/'));
  }
  const root = resolve(base);
  const full = join(root, ...segments);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw refused(base, parts, 'leaves the directory');
  return full;
}

/** `%2e` `%2f` `%5c` `%00` `%25`: encodings that decode into a traversal (or into another encoding of one). */
const ENCODED_PATH_CHAR = /%(2e|2f|5c|00|25)/i;

function partProblem(part: unknown): string | undefined {
  if (typeof part !== 'string') return 'is not a string';
  if (part === '') return 'is empty';
  if (part.includes('\0')) return 'contains NUL';
  const control = controlProblem(part);
  if (control) return control;
  if (part.includes('\\')) return 'contains a backslash';
  if (ENCODED_PATH_CHAR.test(part)) return 'contains a percent-encoded . / \\ NUL or % (an encoded path)';
  if (part.startsWith('/') || isAbsolute(part) || /^[A-Za-z]:/.test(part)) return 'is an absolute path';
  for (const seg of part.split('/')) {
    if (seg === '') return 'has an empty segment';
    if (seg === '.' || seg === '..') return `has a "${seg}" segment`;
  }
  return undefined;
}

function refused(base: string, parts: string[], why: string): FerryError {
  const shown = parts.map((p) => (typeof p === 'string' ? quoteUntrusted(p) : String(p))).join(' + ');
  return new FerryError('UNSAFE_VALUE', `path ${shown} under ${base} ${why}: refused, nothing was written there`, { base, why });
}

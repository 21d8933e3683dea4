import { FerryError } from '../core/errors.js';

/**
 * SHA256SUMS in the format `sha256sum -c` reads (GNU coreutils "md5sum invocation", text mode): one line per file,
 * `<64 lowercase hex><two spaces><path>\n`, sorted by path (byte order) so the file is deterministic. Paths that
 * coreutils would escape (backslash, newline) are refused rather than escaped: no bundle path needs them.
 */

export interface SumLine {
  hex: string;
  path: string;
}

const LINE_RE = /^([0-9a-f]{64}) {2}(.+)$/;

function comparePaths(a: string, b: string): number {
  // Byte order of UTF-8 (what `LC_ALL=C sort` gives); for the ASCII paths a bundle holds, code-unit order is the same.
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatSha256Sums(lines: readonly SumLine[]): Buffer {
  const sorted = [...lines].sort((a, b) => comparePaths(a.path, b.path));
  let out = '';
  let prev: string | undefined;
  for (const { hex, path } of sorted) {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new FerryError('INTERNAL', `SHA256SUMS: "${hex}" for ${path} is not 64 lowercase hex digits`);
    if (path === '' || /[\n\r\\]/.test(path)) throw new FerryError('INTERNAL', `SHA256SUMS: path ${JSON.stringify(path)} cannot be listed`);
    if (path === prev) throw new FerryError('INTERNAL', `SHA256SUMS: ${path} listed twice`);
    prev = path;
    out += `${hex}  ${path}\n`;
  }
  return Buffer.from(out, 'utf8');
}

/**
 * Strict parse: every line must match exactly, the file must end with a newline, and no path may repeat
 * (a repeated path could let one of two conflicting hashes go unchecked). Returns path → hex in file order.
 */
export function parseSha256Sums(data: Buffer | string): Map<string, string> {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const bad = (msg: string, line?: number) =>
    new FerryError('BUNDLE_INVALID', `SHA256SUMS${line !== undefined ? ` line ${line}` : ''}: ${msg}`, { line });
  const out = new Map<string, string>();
  if (text === '') return out;
  if (!text.endsWith('\n')) throw bad('does not end with a newline (truncated?)');
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const m = LINE_RE.exec(line);
    if (!m) throw bad(`expected "<64 lowercase hex>  <path>", got ${JSON.stringify(line.slice(0, 120))}`, i + 1);
    const [, hex, path] = m as unknown as [string, string, string];
    if (path.includes('\r')) throw bad(`path ${JSON.stringify(path)} contains a carriage return`, i + 1);
    if (out.has(path)) throw bad(`${path} is listed twice`, i + 1);
    out.set(path, hex);
  });
  return out;
}

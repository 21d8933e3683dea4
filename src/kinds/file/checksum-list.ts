import { FerryError } from '../../core/errors.js';

export interface ChecksumLine {
  sha256: string; // lowercase hex
  name: string;
  line: number; // 1-based, for the audit trail
}

// GNU coreutils sha256sum output: "<hex>  <name>" (text mode) or "<hex> *<name>" (binary mode); some publishers
// prefix names with "./" or a directory. Other lines (comments, other algorithms) are ignored, not errors.
const LINE_RE = /^([0-9a-fA-F]{64}) [ *](.+)$/;

export function parseChecksumList(text: string): ChecksumLine[] {
  const out: ChecksumLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = LINE_RE.exec(raw.trim() === raw ? raw : raw.trimEnd());
    if (m) out.push({ sha256: (m[1] as string).toLowerCase(), name: m[2] as string, line: i + 1 });
  });
  return out;
}

/**
 * Finds the entry for `fileName` (the upstream file name, i.e. the last URL path segment). A name that appears with
 * two different hashes is refused: the list cannot vouch for either.
 */
export function findChecksum(lines: ChecksumLine[], fileName: string, listUrl: string): ChecksumLine {
  const base = (n: string) => n.replace(/^\.\//, '').split('/').pop();
  const hits = lines.filter((l) => l.name === fileName || base(l.name) === fileName);
  if (hits.length === 0) {
    throw new FerryError('CHECKSUM_MISSING', `${fileName}: not listed in checksum file ${listUrl}`, { file: fileName, checksums: listUrl });
  }
  const distinct = new Set(hits.map((h) => h.sha256));
  if (distinct.size > 1) {
    throw new FerryError('CHECKSUM_MISSING', `${fileName}: checksum file ${listUrl} lists it with ${distinct.size} different hashes`, {
      file: fileName,
      checksums: listUrl,
    });
  }
  return hits[0] as ChecksumLine;
}

import { SBOM_FILE } from '../bundle/format.js';

/**
 * SHA256SUMS without its own line for the SBOM member: what the SBOM describes the bundle by (its content identity).
 * The SBOM cannot name a hash of a list that holds its own hash, so it names the list's other lines, which are exactly
 * the SHA256SUMS the writer formats before it adds the SBOM (sorted lines: taking one out leaves the others as they
 * were). For a bundle without the member it is SHA256SUMS itself; by hand: `grep -v '  sbom.cdx.json$' SHA256SUMS`.
 */
export function sumsWithoutSbom(sums: Buffer): Buffer {
  const own = `  ${SBOM_FILE}`;
  const text = sums.toString('utf8');
  if (text === '') return Buffer.alloc(0);
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const kept = lines.filter((l) => !(l.length === 64 + own.length && l.endsWith(own)));
  return Buffer.from(kept.map((l) => `${l}\n`).join(''), 'utf8');
}

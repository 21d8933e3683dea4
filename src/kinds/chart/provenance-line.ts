import type { LockedChart } from './schema.js';

/** docs/charts.md "Provenance": what the pull checked of the chart's .prov. */
export function provenanceLine(c: Pick<LockedChart, 'provenance'>): string {
  const p = c.provenance;
  if (!p) return 'provenance: none recorded (no .prov)';
  if (p.signature === 'verified') return `provenance signed by ${p.signer} (keyring ${p.keyring})`;
  return 'provenance: signature not checked (no keyring); the sha256 it lists matches';
}

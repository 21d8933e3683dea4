import type { PhaseView } from './progress-model.js';
import { formatEta } from './rate-window.js';
import { formatBytes } from '../core/units.js';

const BAR_WIDTH = 24;

/** `[██████░░░░░░]`: plain characters, no colour, so NO_COLOR and a monochrome terminal read the same. */
function bar(percent: number): string {
  const full = Math.round((percent / 100) * BAR_WIDTH);
  return `[${'█'.repeat(full)}${'░'.repeat(BAR_WIDTH - full)}]`;
}

function rate(bps: number): string {
  return `${formatBytes(bps)}/s`;
}

function items(v: PhaseView): string {
  if (v.totalItems === undefined && v.items === 0) return '';
  const noun =
    v.itemNoun ??
    (v.name === 'push' || v.name === 'fetch' ? 'blobs' : v.name === 'tag' ? 'tags' : v.name === 'resolve' ? 'images' : 'items');
  const extra = [v.present > 0 ? `${v.present} present` : '', v.mounted > 0 ? `${v.mounted} mounted` : ''].filter(Boolean).join(', ');
  return `${noun} ${v.items}${v.totalItems !== undefined ? `/${v.totalItems}` : ''}${extra ? ` (${extra})` : ''}`;
}

/**
 * The live line: phase, bar, percent, bytes done of the total, the current rate, ETA, and blobs; other phases still
 * moving bytes (a pull's downloads beside its writer) follow in short.
 */
export function statusLine(v: PhaseView, others: PhaseView[] = []): string {
  const parts: string[] = [v.name.padEnd(7)];
  if (v.percent !== undefined && v.totalBytes !== undefined) {
    parts.push(
      bar(v.percent),
      `${v.percent.toFixed(0).padStart(3)}%`,
      `${formatBytes(v.done)} / ${formatBytes(v.totalBytes)}`,
      rate(v.rate),
      `ETA ${formatEta(v.eta)}`,
    );
  } else {
    if (v.detail) parts.push(v.detail);
    if (v.bytes > 0) parts.push(formatBytes(v.bytes), rate(v.rate));
  }
  const n = items(v);
  if (n) parts.push(n);
  for (const o of others) parts.push(`| ${o.name} ${o.percent !== undefined ? `${o.percent.toFixed(0)}%` : formatBytes(o.bytes)}`);
  return parts.join('  ');
}

/** The line piped output prints every ~10 s of a long transfer: phase, bytes, percent, rate, ETA. */
export function heartbeatLine(v: PhaseView): string {
  const of = v.totalBytes !== undefined ? ` of ${formatBytes(v.totalBytes)}` : '';
  const pct = v.percent !== undefined ? ` (${v.percent.toFixed(0)}%)` : '';
  const eta = v.totalBytes !== undefined ? `, ETA ${formatEta(v.eta)}` : '';
  const n = items(v);
  return `  ${v.name}: ${formatBytes(v.done)}${of}${pct}, ${rate(v.rate)}${eta}${n ? `, ${n}` : ''}`;
}

/** Fits a line to the terminal's width, so it never wraps (a wrapped bar cannot be redrawn in place). */
export function fit(line: string, columns: number): string {
  const max = Math.max(columns - 1, 10);
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}

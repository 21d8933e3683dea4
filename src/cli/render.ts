import type { InspectResult } from '../inspect/inspect-bundle.js';
import type { PushResult } from '../push/push-bundle.js';
import type { VerifyResult } from '../verify/verify-bundle.js';
import { formatBytes } from './output.js';

export function renderVerify(path: string, r: VerifyResult): string {
  if (r.ok) return `${path}: OK (${r.entries} entries, ${formatBytes(r.bytes)} verified)`;
  const lines = [`${path}: DAMAGED (${r.problems.length} problems)`];
  for (const p of r.problems) lines.push(`  ${p.code} ${p.path}: ${p.message}`);
  return lines.join('\n');
}

export function renderInspect(r: InspectResult): string {
  const lines = [`bundle ${r.name} (format ${r.formatVersion}): ${r.artifacts.length} artifacts, ${r.blobs} blobs, ${formatBytes(r.blobBytes)}`];
  for (const a of r.artifacts) {
    const label = a.kind === 'image' ? a.ref : a.name;
    const plat = a.platforms?.length ? ` [${a.platforms.join(', ')}]` : '';
    const role = a.role ? ` (${a.role})` : a.version ? ` ${a.version}` : '';
    lines.push(`  ${a.kind.padEnd(5)} ${label}${role}${plat}\n        ${a.digest} ${formatBytes(a.size)}`);
    for (const img of a.images ?? []) lines.push(`        contains ${img}`);
  }
  return lines.join('\n');
}

export function renderPush(r: PushResult, dryRun: boolean): string {
  if (dryRun) {
    return [`plan: ${r.plan.length} images to ${r.registry}`, ...r.plan.map((p) => `  ${p.source} → ${r.registry}/${p.repository}${p.tag !== undefined ? `:${p.tag}` : ''} (${p.root.digest})`)].join('\n');
  }
  const fresh = r.images.filter((i) => !i.upToDate).length;
  return [`pushed ${fresh} images to ${r.registry} (${r.images.length - fresh} already up to date)`, ...r.images.map((i) => `  ${i.target} ${i.digest}${i.upToDate ? ' (up to date)' : ''}`)].join('\n');
}

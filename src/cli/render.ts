import type { InspectResult } from '../inspect/inspect-bundle.js';
import type { PushResult } from '../push/push-bundle.js';
import type { VerifyResult } from '../verify/verify-bundle.js';
import { type BundleCounts, kindsInCountOrder } from '../lock/counts.js';
import { KINDS } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import type { PullResult } from '../pull/pull-bundle.js';
import { formatBytes, plural } from '../core/units.js';

/**
 * The one way a bundle's contents are counted in a summary line, the same for pull, inspect, audit, push and stage:
 * "2 images, 1 chart, 3 files, 7 RKE2 files, 12 apt packages" (kinds it has none of are left out).
 */
export function formatCounts(c: BundleCounts): string {
  const parts = kindsInCountOrder()
    .flatMap((kind) => Object.values(kind.countWords(c)))
    .filter((w): w is string => Boolean(w));
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

export function renderPull(r: PullResult): string {
  const delta = r.omitted > 0 ? `; a delta: ${plural(r.omitted, 'blob')} the enclave has left out` : '';
  const chartLines = r.charts.flatMap((c) => [
    `chart ${c.name} ${c.version}: ${plural(c.images.length, 'image')}`,
    ...(c.provenance ? [`  ${c.provenance}`] : []),
    ...c.images.map((i) => `  ${i.ref}  ← ${i.sources.join('; ')}`),
  ]);
  const ferry = r.ferry ? [`ferry ${r.ferry.version}: ${r.ferry.name} sha256 ${r.ferry.sha256}`] : [];
  return [
    `wrote ${r.bundle} (${formatBytes(r.bytes)}): ${formatCounts(r.counts)}; ${plural(r.blobs, 'blob')}${delta}`,
    `lock ${r.lockPath}`,
    ...chartLines,
    ...ferry,
  ].join('\n');
}

export function renderVerify(path: string, r: VerifyResult): string {
  if (r.ok) return `${path}: OK (${r.entries} entries, ${formatBytes(r.bytes)} verified)`;
  const lines = [`${path}: DAMAGED (${r.problems.length} problems)`];
  for (const p of r.problems) lines.push(`  ${p.code} ${p.path}: ${p.message}`);
  return lines.join('\n');
}

export function renderInspect(r: InspectResult): string {
  const lines = [
    `bundle ${r.name} (format ${r.formatVersion}): ${formatCounts(r.counts)}; ${plural(r.blobs, 'blob')}, ${formatBytes(r.blobBytes)}`,
  ];
  // Carried referrers are listed under the image they belong to; one whose image is not in the bundle, at the end.
  const images = new Set(r.artifacts.filter((a) => a.kind === 'image').map((a) => a.ref));
  const under = (a: InspectResult['artifacts'][number]) => a.kind === 'referrer' && images.has(a.image as string);
  for (const a of r.artifacts) {
    if (under(a)) continue;
    const label = a.ref ?? a.name; // images are named by reference, every other entry by name
    const plat = a.platforms?.length ? ` [${a.platforms.join(', ')}]` : '';
    const role = a.role ? ` (${a.role})` : a.version ? ` ${a.version}` : '';
    lines.push(`  ${a.kind.padEnd(5)} ${label}${role}${plat}\n        ${a.digest} ${formatBytes(a.size)}`);
    for (const img of a.images ?? []) lines.push(`        contains ${img}`);
    if (a.sha256 !== undefined) lines.push(`        executable ${a.sha256}, from ${a.source ?? ''}`);
    for (const l of (KINDS as readonly AnyKind[]).find((k) => (k.entryKinds as readonly string[]).includes(a.kind))?.inspectLines?.(a) ??
      [])
      lines.push(`        ${l}`);
    for (const ref of r.artifacts.filter((x) => under(x) && a.kind === 'image' && x.image === a.ref))
      lines.push(`        ${String(ref.role)} ${ref.ref ?? ''}\n          ${ref.digest} ${formatBytes(ref.size)}`);
  }
  lines.push(
    r.sbom ? `  SBOM ${r.sbom.member} ${formatBytes(r.sbom.size)} (CycloneDX 1.5)` : '  no SBOM member (written before ferry put one in)',
  );
  return lines.join('\n');
}

/** `3 images, 1 chart, 1 artifact and 2 referrers` (`0 images` when there is nothing), in that order. */
function kindCounts(items: readonly { kind: string }[]): string {
  const parts = (['image', 'chart', 'artifact', 'referrer'] as const)
    .map((k) => [k, items.filter((i) => i.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => plural(n, k));
  if (parts.length === 0) return plural(0, 'image');
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

export function renderPush(r: PushResult, dryRun: boolean): string {
  if (dryRun) {
    return [
      `plan: ${kindCounts(r.plan)} to ${r.registry}, from a bundle of ${formatCounts(r.counts)}`,
      ...r.plan.map(
        (p) =>
          `  ${p.source} → ${r.registry}/${p.repository}${p.tag !== undefined ? `:${p.tag}` : ''} (${p.root.digest})${p.subject !== undefined ? `, refers to ${p.subject}` : ''}`,
      ),
    ].join('\n');
  }
  const fresh = r.images.filter((i) => !i.upToDate);
  return [
    `pushed ${kindCounts(fresh)} to ${r.registry} (${r.images.length - fresh.length} already up to date), from a bundle of ${formatCounts(r.counts)}`,
    ...r.images.map((i) => `  ${i.target} ${i.digest}${i.upToDate ? ' (up to date)' : ''}`),
    ...r.extras.map((x) => `  ${x.target} ${x.digest || '-'} (${x.kind}${x.upToDate ? ', up to date' : ''})`),
  ].join('\n');
}

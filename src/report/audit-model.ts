import { createHash } from 'node:crypto';
import { BundleReader } from '../bundle/reader.js';
import { LOCK_FILE, SUMS_FILE, blobPath, chartRefName } from '../bundle/format.js';
import type { Descriptor } from '../core/media-types.js';
import { Annotation } from '../core/media-types.js';
import { walkGraph } from '../graph/walk.js';
import { parseLock } from '../lock/lock-file.js';
import { ferryChecksumSource } from '../kinds/ferry/ferry-artifact.js';
import type { LockedFile } from '../lock/types.js';
import type { Problem, VerifyResult } from '../verify/verify-bundle.js';

/** Version of the report's JSON shape (docs/audit-report.md). */
export const REPORT_VERSION = 1;

export interface AuditRow {
  kind: 'image' | 'file' | 'rke2' | 'chart' | 'apt' | 'ferry';
  name: string;
  version?: string;
  /** Where it came from: a URL or an image reference. */
  source: string;
  /** What vouched for the expected hash, in words, and as data. */
  vouchedBy: string;
  vouch: Record<string, unknown>;
  /** `sha256:<hex>` the lock pins. */
  expected: string;
  /** `sha256:<hex>` computed from the bundle's bytes by this run; absent when the bytes are missing or cut short. */
  computed?: string;
  size?: number;
  result: 'ok' | 'failed';
  /** Why it failed: the verify problems that touch this artifact. */
  problems: string[];
  /** Read back from the registry (with --registry, or on push). */
  registry?: { target: string; expected: string; actual?: string; result: 'ok' | 'failed' };
}

export interface AuditReport {
  reportVersion: number;
  generatedAt: string;
  tool: string;
  bundle: {
    path: string;
    name: string;
    formatVersion: number;
    writtenBy: string;
    /** When it was signed (bundles carry no timestamp of their own, to stay reproducible). */
    created?: string;
    lockSha256: string;
    sha256sumsSha256?: string;
    bytes: number;
    signature: VerifyResult['signature'];
  };
  totals: { artifacts: number; ok: number; failed: number; problems: number; registryChecked?: number; registryFailed?: number };
  /** Failures first, then by kind and name. */
  rows: AuditRow[];
  /** Every problem verify found, including those not tied to one artifact. */
  problems: Problem[];
  /** Post-push confirmation: every tag the bundle pushes, read back from the registry. */
  registry?: { host: string; tags: RegistryTag[] };
}

export interface RegistryTag {
  /** The bundle's name for it: an image reference, or `charts/<name>:<version>`. */
  source: string;
  target: string;
  expected: string;
  actual?: string;
  result: 'ok' | 'failed';
}

/** Attaches read-back tags to the report: totals, and each artifact row whose source was pushed. */
export function withRegistry(report: AuditReport, host: string, tags: RegistryTag[]): AuditReport {
  const bySource = new Map(tags.map((t) => [t.source, t]));
  const rows = report.rows.map((r) => {
    const t = bySource.get(r.kind === 'chart' ? chartRefName(r.name, r.version ?? '') : r.name);
    if (!t) return r;
    const registry = { target: t.target, expected: t.expected, ...(t.actual ? { actual: t.actual } : {}), result: t.result };
    const problems = t.result === 'failed' ? [...r.problems, `registry: ${t.target} is ${t.actual ?? 'missing'}, expected ${t.expected}`] : r.problems;
    return { ...r, registry, problems, result: problems.length === 0 ? ('ok' as const) : ('failed' as const) };
  });
  rows.sort((a, b) => (a.result === b.result ? 0 : a.result === 'failed' ? -1 : 1));
  const failed = rows.filter((r) => r.result === 'failed').length;
  return {
    ...report,
    rows,
    registry: { host, tags },
    totals: { ...report.totals, ok: rows.length - failed, failed, registryChecked: tags.length, registryFailed: tags.filter((t) => t.result === 'failed').length },
  };
}

const KIND_ORDER = ['image', 'chart', 'rke2', 'file', 'apt', 'ferry'];

/**
 * Builds the checksum audit report of a bundle from a verify run (which computed the sha256 of every member) and
 * the bundle's own lock: one row per artifact, with its origin, who vouched for it, the expected and computed sha256
 * and the result. An artifact fails when any blob it is made of has a problem.
 */
export async function buildAuditReport(path: string, verified: VerifyResult, tool: string): Promise<AuditReport> {
  const reader = await BundleReader.open(path);
  try {
    const lockBody = await reader.lockBytes();
    const lock = parseLock(lockBody.toString('utf8'), LOCK_FILE);
    const badPaths = new Map<string, string[]>();
    for (const p of verified.problems) badPaths.set(p.path, [...(badPaths.get(p.path) ?? []), `${p.code}: ${p.message}`]);
    const computed = (hex: string) => verified.contents.get(blobPath(hex))?.sha256;
    const omitted = new Set((reader.meta.delta?.omitted ?? []).map((o) => o.digest));
    const index = reader.index().manifests;
    const blobsOf = async (desc: Descriptor | undefined): Promise<{ hexes: string[]; broken?: string }> => {
      if (!desc) return { hexes: [], broken: 'not in index.json' };
      try {
        return { hexes: (await walkGraph(reader, [desc])).map((d) => d.digest.slice(7)) };
      } catch (err) {
        return { hexes: [desc.digest.slice(7)], broken: (err as Error).message };
      }
    };
    const find = (kind: string, key: string, value: string) => index.find((d) => d.annotations?.[Annotation.Kind] === kind && d.annotations?.[key] === value);

    const rows: AuditRow[] = [];
    const row = async (base: Omit<AuditRow, 'result' | 'problems' | 'computed'>, desc: Descriptor | undefined, contentHex: string) => {
      const { hexes, broken } = await blobsOf(desc);
      const problems = [...(broken ? [broken] : []), ...hexes.flatMap((h) => badPaths.get(blobPath(h)) ?? [])];
      const c = computed(contentHex);
      const left = c === undefined && omitted.has(`sha256:${contentHex}`);
      if (c === undefined && !left) problems.push(`${blobPath(contentHex)} is missing or cut short`);
      else if (`sha256:${c}` !== base.expected) problems.push(`computed sha256:${c}, expected ${base.expected}`);
      const vouchedBy = left ? `${base.vouchedBy} (content left out of this delta bundle: the enclave has it)` : base.vouchedBy;
      rows.push({ ...base, vouchedBy, ...(c ? { computed: `sha256:${c}` } : {}), result: problems.length === 0 ? 'ok' : 'failed', problems: [...new Set(problems)] });
    };

    for (const img of lock.images) {
      const registry = img.ref.split('/')[0];
      const filtered = img.digest !== img.upstreamDigest ? `; ferry kept ${img.platforms === 'all' ? 'all platforms' : img.platforms.join(', ')} of upstream index ${img.upstreamDigest}` : '';
      await row(
        {
          kind: 'image',
          name: img.ref,
          source: img.ref,
          vouchedBy: `registry ${registry} resolved ${img.ref} to ${img.upstreamDigest}${filtered}`,
          vouch: { kind: 'registry', upstreamDigest: img.upstreamDigest, platforms: img.platforms },
          expected: img.digest,
          size: img.size,
        },
        find('image', Annotation.RefName, img.ref),
        img.digest.slice(7),
      );
    }
    const fileRow = async (kind: 'file' | 'rke2', f: LockedFile, extra: Partial<AuditRow> = {}) =>
      row({ kind, name: f.name, source: f.url, vouchedBy: fileVouch(f), vouch: f.vouchedBy, expected: `sha256:${f.sha256}`, ...(f.size !== undefined ? { size: f.size } : {}), ...extra }, find(kind, Annotation.Title, f.name), f.sha256);
    for (const f of lock.files) await fileRow('file', f);
    for (const f of lock.rke2?.files ?? []) await fileRow('rke2', f, { version: lock.rke2?.version });
    if (lock.ferry) {
      const f = lock.ferry;
      await row(
        { kind: 'ferry', name: f.name, version: f.version, source: `local file ${f.source}`, vouchedBy: ferryChecksumSource(f), vouch: { ...f.vouchedBy, versionFrom: f.versionFrom, ...(f.sbom ? { sbom: f.sbom } : {}) }, expected: `sha256:${f.sha256}`, size: f.size },
        find('ferry', Annotation.Title, f.name),
        f.sha256,
      );
    }
    for (const c of lock.charts ?? []) {
      const v = c.vouchedBy;
      await row(
        {
          kind: 'chart',
          name: c.name,
          version: c.version,
          source: v.kind === 'index' ? v.url : `oci://${v.ref}`,
          vouchedBy: v.kind === 'index' ? `digest in ${v.indexUrl} (index sha256 ${v.indexSha256})` : `OCI manifest ${v.manifestDigest} of ${v.ref}`,
          vouch: v,
          expected: `sha256:${c.sha256}`,
          size: c.size,
        },
        find('chart', Annotation.RefName, chartRefName(c.name, c.version)),
        c.sha256,
      );
    }
    for (const src of lock.apt ?? []) {
      for (const d of src.debs) {
        const rel = src.releases.find((r) => r.suite === d.suite);
        await row(
          {
            kind: 'apt',
            name: d.name,
            version: d.version,
            source: d.url,
            vouchedBy: `${rel?.file ?? 'Release'} of ${d.suite} signed by ${(rel?.signedBy ?? []).join(', ')} → ${d.index} → SHA256 of ${d.name} ${d.version}`,
            vouch: { kind: 'apt', release: rel?.url, releaseSha256: rel?.sha256, signedBy: rel?.signedBy, index: d.index, keyring: src.keyring },
            expected: `sha256:${d.sha256}`,
            size: d.size,
          },
          find('apt', Annotation.Title, d.file),
          d.sha256,
        );
      }
    }
    rows.sort((a, b) => (a.result !== b.result ? (a.result === 'failed' ? -1 : 1) : KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
    const sums = verified.contents.get(SUMS_FILE)?.sha256;
    const sig = verified.signature;
    const failed = rows.filter((r) => r.result === 'failed').length;
    return {
      reportVersion: REPORT_VERSION,
      generatedAt: new Date().toISOString(),
      tool,
      bundle: {
        path,
        name: reader.meta.name,
        formatVersion: reader.meta.formatVersion,
        writtenBy: reader.meta.tool,
        ...('created' in sig ? { created: sig.created } : {}),
        lockSha256: createHash('sha256').update(lockBody).digest('hex'),
        ...(sums ? { sha256sumsSha256: sums } : {}),
        bytes: verified.bytes,
        signature: sig,
      },
      totals: { artifacts: rows.length, ok: rows.length - failed, failed, problems: verified.problems.length },
      rows,
      problems: verified.problems,
    };
  } finally {
    await reader.close();
  }
}

function fileVouch(f: LockedFile): string {
  const v = f.vouchedBy;
  if (v.kind === 'inline') return 'sha256 pinned in the bundle manifest';
  if (v.kind === 'first-fetch') return 'no upstream checksum: sha256 recorded at the first download (HTTPS)';
  return `${v.url} line ${v.line} (list sha256 ${v.sha256})`;
}

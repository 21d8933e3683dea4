import { createHash } from 'node:crypto';
import { BundleReader } from '../bundle/reader.js';
import { LOCK_FILE, SUMS_FILE, blobPath } from '../bundle/format.js';
import type { Descriptor } from '../core/media-types.js';
import { Annotation } from '../core/media-types.js';
import { walkGraph } from '../graph/walk.js';
import { parseLock } from '../lock/lock-file.js';
import { KINDS, type KindName, lockedOf } from '../kinds/index.js';
import type { Lock } from '../lock/types.js';
import type { AnyKind } from '../kinds/kind.js';
import type { Problem, VerifyResult } from '../verify/verify-bundle.js';
import type { SignatureRecord } from '../verify/signature-record.js';
import { type SignatureCell, signatureCell, signatureSource } from './signature-cell.js';

/** Version of the report's JSON shape (docs/audit-report.md). */
export const REPORT_VERSION = 3;

export interface AuditRow {
  kind: KindName;
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
  /**
   * Why there is no `computed`: the run deliberately did not read the content (push reads only what it uploads:
   * `present in the registry, not read`, or not pushed at all). Version 2.
   */
  notRead?: string;
  size?: number;
  /**
   * The OCI manifest the bundle keeps it under, when that is not the pinned content itself (a chart's Helm artifact,
   * whose layer is the `.tgz`): the digest `inspect` shows and `push` tags.
   */
  manifestDigest?: string;
  /** A chart's .prov, in words (docs/charts.md "Provenance"). */
  provenance?: string;
  result: 'ok' | 'failed';
  /** Why it failed: the verify problems that touch this artifact. */
  problems: string[];
  /** Images only: the signature policy's outcome (signature-cell.ts). Version 3. */
  signature?: SignatureCell;
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

/**
 * The bundle's ref name of the artifact each row describes (bundle/format.ts), which is what push names a tag's
 * source by. Kept beside the rows, not in them: it is no part of the report's JSON shape (docs/audit-report.md).
 */
const refNames = new WeakMap<AuditRow, string>();

/** Attaches read-back tags to the report: totals, and each artifact row whose source was pushed. */
export function withRegistry(report: AuditReport, host: string, tags: RegistryTag[]): AuditReport {
  const bySource = new Map(tags.map((t) => [t.source, t]));
  const rows = report.rows.map((r) => {
    const ref = refNames.get(r);
    const t = ref === undefined ? undefined : bySource.get(ref);
    if (!t) return r;
    const registry = { target: t.target, expected: t.expected, ...(t.actual ? { actual: t.actual } : {}), result: t.result };
    const problems =
      t.result === 'failed' ? [...r.problems, `registry: ${t.target} is ${t.actual ?? 'missing'}, expected ${t.expected}`] : r.problems;
    const updated: AuditRow = { ...r, registry, problems, result: problems.length === 0 ? 'ok' : 'failed' };
    refNames.set(updated, t.source);
    return updated;
  });
  rows.sort((a, b) => (a.result === b.result ? 0 : a.result === 'failed' ? -1 : 1));
  const failed = rows.filter((r) => r.result === 'failed').length;
  return {
    ...report,
    rows,
    registry: { host, tags },
    totals: {
      ...report.totals,
      ok: rows.length - failed,
      failed,
      registryChecked: tags.length,
      registryFailed: tags.filter((t) => t.result === 'failed').length,
    },
  };
}

/** The bundle's lock; undefined when it does not parse and verify has reported that member as a problem. */
function readableLock(body: Buffer, verified: VerifyResult): Lock | undefined {
  try {
    return parseLock(body.toString('utf8'), LOCK_FILE);
  } catch (err) {
    if (verified.problems.some((p) => p.path === LOCK_FILE)) return undefined;
    throw err;
  }
}

/**
 * Builds the checksum audit report of a bundle from a verify run (which computed the sha256 of every member) and
 * the bundle's own lock: one row per artifact, with its origin, who vouched for it, the expected and computed sha256
 * and the result. An artifact fails when any blob it is made of has a problem.
 */
export async function buildAuditReport(path: string, verified: VerifyResult, tool: string, policy?: SignatureRecord): Promise<AuditReport> {
  const reader = await BundleReader.open(path);
  try {
    const lockBody = await reader.lockBytes();
    // Malformed JSON inside a bundle is damage (docs/security.md): a lock verify already found unreadable gives no
    // rows, and the report is a FAIL naming that problem (exit 3), not a LOCK_INVALID with no report at all.
    const lock = readableLock(lockBody, verified);
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

    const rows: AuditRow[] = [];
    const row = async (base: Omit<AuditRow, 'result' | 'problems' | 'computed'>, desc: Descriptor | undefined, contentHex: string) => {
      const { hexes, broken } = await blobsOf(desc);
      const problems = [...(broken ? [broken] : []), ...hexes.flatMap((h) => badPaths.get(blobPath(h)) ?? [])];
      const c = computed(contentHex);
      const left = c === undefined && omitted.has(`sha256:${contentHex}`);
      const unread = c === undefined && !left ? verified.notRead?.get(blobPath(contentHex)) : undefined;
      if (c === undefined && !left && unread === undefined) problems.push(`${blobPath(contentHex)} is missing or cut short`);
      else if (unread === undefined && `sha256:${c}` !== base.expected) problems.push(`computed sha256:${c}, expected ${base.expected}`);
      const vouchedBy = left ? `${base.vouchedBy} (content left out of this delta bundle: the enclave has it)` : base.vouchedBy;
      const r: AuditRow = {
        ...base,
        vouchedBy,
        ...(c ? { computed: `sha256:${c}` } : {}),
        ...(unread !== undefined ? { notRead: unread } : {}),
        result: problems.length === 0 ? 'ok' : 'failed',
        problems: [...new Set(problems)],
      };
      rows.push(r);
      return r;
    };

    for (const kind of KINDS as readonly AnyKind[]) {
      for (const pin of (lock ? lockedOf(lock, kind) : []).flatMap((l) => kind.pins(l))) {
        const base = {
          kind: kind.kind as KindName,
          name: pin.name,
          ...(pin.version !== undefined ? { version: pin.version } : {}),
          source: pin.source,
          vouchedBy: pin.vouchedBy,
          vouch: pin.vouch,
          ...(pin.provenance !== undefined ? { provenance: pin.provenance } : {}),
          expected: pin.digest,
          ...(pin.size !== undefined ? { size: pin.size } : {}),
        };
        const desc = index.find(
          (d) => d.annotations?.[Annotation.Kind] === kind.pinEntryKind && d.annotations?.[kind.pinAnnotation] === pin.entryName,
        );
        const held = !pin.isRoot && desc && desc.digest !== pin.digest ? { manifestDigest: desc.digest } : {};
        refNames.set(await row({ ...base, ...held }, desc, pin.digest.slice(7)), pin.refName);
      }
    }
    const signatures = signatureSource(policy, reader.meta.signatures);
    for (const r of rows.filter((x) => x.kind === 'image')) {
      r.signature = signatureCell(r.name, signatures);
      if (r.signature.result !== 'failed') continue;
      r.problems.push(`signature: ${r.signature.reason ?? 'no valid signature'}`);
      r.result = 'failed';
    }
    const order = (k: string) => KINDS.find((h) => h.kind === k)?.reportOrder ?? KINDS.length;
    rows.sort((a, b) =>
      a.result !== b.result
        ? a.result === 'failed'
          ? -1
          : 1
        : order(a.kind) - order(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
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

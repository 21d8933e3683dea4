import { writeFileAtomic } from '../core/atomic-write.js';
import { resolve } from 'node:path';
import { FerryError } from '../core/errors.js';
import type { AuditReport } from '../report/audit-model.js';
import { TOOL_VERSION } from '../version.js';
import type { VerifyResult } from '../verify/verify-bundle.js';

/** Builds the audit report of a verify run (plus read-back tags, when given) and writes it atomically. */
export async function writeAuditReport(
  bundle: string,
  verified: VerifyResult,
  out: string,
  format: string | undefined,
  registry?: { host: string; tags: import('../report/audit-model.js').RegistryTag[] },
  /** What `--policy` found now; without it, the report shows what pull recorded, or "not checked". */
  policy?: import('../verify/signature-record.js').SignatureRecord,
): Promise<AuditReport> {
  const { buildAuditReport, withRegistry } = await import('../report/audit-model.js');
  const { renderReport, reportFormatFor } = await import('../report/render-report.js');
  let fmt;
  try {
    fmt = reportFormatFor(out, format);
  } catch (err) {
    throw new FerryError('USAGE', (err as Error).message);
  }
  let report = await buildAuditReport(resolve(bundle), verified, `ferry ${TOOL_VERSION}`, policy);
  if (registry) report = withRegistry(report, registry.host, registry.tags);
  await writeFileAtomic(resolve(out), renderReport(report, fmt));
  return report;
}

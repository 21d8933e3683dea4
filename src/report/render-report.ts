import type { AuditReport, AuditRow } from './audit-model.js';
import { terminalSafe } from '../validate/untrusted-text.js';
import { signatureWords } from './signature-cell.js';

export type ReportFormat = 'json' | 'md' | 'html';

export function reportFormatFor(path: string, given?: string): ReportFormat {
  const f = (given ?? path.split('.').pop() ?? '').toLowerCase();
  if (f === 'json') return 'json';
  if (f === 'md' || f === 'markdown') return 'md';
  if (f === 'html' || f === 'htm') return 'html';
  throw new Error(`cannot tell the report format of ${path}: use --format json|md|html or a .json/.md/.html name`);
}

export function renderReport(r: AuditReport, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  return format === 'md' ? renderMarkdown(r) : renderHtml(r);
}

function signatureText(r: AuditReport): string {
  const s = r.bundle.signature;
  if (s.status === 'valid') return `valid, key ${s.keyFingerprint}`;
  if (s.status === 'unchecked') {
    return s.consistent
      ? `signed by a key it cannot trust (fingerprint ${s.keyFingerprint}): consistent with SHA256SUMS, origin not checked (no --key given)`
      : `old-format signature naming key ${s.keyFingerprint}: cannot be checked without --key`;
  }
  if (s.status === 'unsigned') return 'unsigned';
  return `INVALID: ${s.reason}`;
}

function facts(r: AuditReport): [string, string][] {
  return [
    ['Bundle', `${r.bundle.name} (${r.bundle.path})`],
    ['Result', r.totals.failed === 0 && r.totals.problems === 0 ? 'PASS' : 'FAIL'],
    ['Artifacts', `${r.totals.artifacts}: ${r.totals.ok} ok, ${r.totals.failed} failed`],
    ['Problems found by verify', String(r.totals.problems)],
    ...(r.totals.registryChecked !== undefined
      ? ([
          [
            'Registry tags read back',
            `${r.totals.registryChecked}: ${r.totals.registryChecked - (r.totals.registryFailed ?? 0)} ok, ${r.totals.registryFailed} failed (${r.registry?.host})`,
          ],
        ] as [string, string][])
      : []),
    ['Signature', signatureText(r)],
    ['Format', `ferry bundle v${r.bundle.formatVersion}, written by ${r.bundle.writtenBy}`],
    ['Created', r.bundle.created ?? 'not recorded (only signed bundles carry a signing time)'],
    ['Lock sha256', r.bundle.lockSha256],
    ['SHA256SUMS sha256', r.bundle.sha256sumsSha256 ?? 'missing'],
    ['Bytes verified', String(r.bundle.bytes)],
    ['Report', `${r.tool}, ${r.generatedAt}, report format v${r.reportVersion}`],
  ];
}

const mdCell = (s: string) => terminalSafe(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Markdown for a change ticket: the facts, then one table row per artifact, failures first. */
export function renderMarkdown(r: AuditReport): string {
  const lines = [
    `# Checksum audit: ${r.bundle.name}`,
    '',
    '| | |',
    '|---|---|',
    ...facts(r).map(([k, v]) => `| ${k} | ${mdCell(v)} |`),
    '',
  ];
  lines.push(
    '| result | kind | name | version | source | vouched for by | expected sha256 | computed sha256 | size | image signature | registry |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const row of r.rows) {
    const reg = row.registry ? `${row.registry.result} ${row.registry.target}` : '';
    lines.push(
      `| ${row.result === 'ok' ? 'ok' : '**FAILED**'} | ${row.kind} | ${mdCell(row.name)} | ${mdCell(row.version ?? '')} | ${mdCell(row.source)} | ${mdCell(row.vouchedBy + (row.provenance ? `; ${row.provenance}` : ''))} | \`${row.expected}\` | ${row.computed ? `\`${row.computed}\`` : (row.notRead ?? '—')}${row.manifestDigest ? ` (OCI manifest \`${row.manifestDigest}\`)` : ''} | ${row.size ?? ''} | ${mdCell(signatureWords(row.signature))} | ${mdCell(reg)} |`,
    );
  }
  const failures = r.rows.filter((x) => x.result === 'failed');
  if (failures.length > 0 || r.problems.length > 0) {
    lines.push('', '## Failures', '');
    for (const f of failures) lines.push(`- **${f.kind} ${f.name}**: ${f.problems.map(mdCell).join('; ')}`);
    for (const p of r.problems) lines.push(`- \`${p.path}\` ${p.code}: ${mdCell(p.message)}`);
  }
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

function htmlRow(row: AuditRow): string {
  const reg = row.registry
    ? `${esc(row.registry.result)}<br><code>${esc(row.registry.target)}</code>${row.registry.actual && row.registry.actual !== row.registry.expected ? `<br>now ${esc(row.registry.actual)}` : ''}`
    : '';
  return `<tr class="${row.result}" data-kind="${esc(row.kind)}"><td class="r">${row.result === 'ok' ? 'ok' : 'FAILED'}</td><td>${esc(row.kind)}</td><td>${esc(row.name)}${row.version ? `<br><small>${esc(row.version)}</small>` : ''}</td><td class="w">${esc(row.source)}</td><td class="w">${esc(row.vouchedBy)}${row.provenance ? `<br><small>${esc(row.provenance)}</small>` : ''}</td><td><code>${esc(row.expected)}</code></td><td>${row.computed ? `<code>${esc(row.computed)}</code>` : row.notRead ? `<small>${esc(row.notRead)}</small>` : '<code>—</code>'}${row.manifestDigest ? `<br><small>OCI manifest <code>${esc(row.manifestDigest)}</code></small>` : ''}</td><td>${row.size ?? ''}</td><td class="w sig">${esc(signatureWords(row.signature))}</td><td>${reg}</td><td class="w">${row.problems.map(esc).join('<br>')}</td></tr>`;
}

/**
 * One self-contained HTML file (no external assets; it opens offline): a summary at the top, then a filterable
 * table with failures first. The filter is a few lines of inline script over the rows.
 */
export function renderHtml(r: AuditReport): string {
  const pass = r.totals.failed === 0 && r.totals.problems === 0;
  const summary = facts(r)
    .map(
      ([k, v]) => `<tr><th>${esc(k)}</th><td${k === 'Result' ? ` id="verdict" class="${pass ? 'ok' : 'failed'}"` : ''}>${esc(v)}</td></tr>`,
    )
    .join('');
  const problems = r.problems.map((p) => `<li><code>${esc(p.path)}</code> ${esc(p.code)}: ${esc(p.message)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checksum audit: ${esc(r.bundle.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
#summary{width:auto;margin-bottom:1em}#summary th{background:#f4f4f4}
.failed .r,#verdict.failed{background:#f8d7da;font-weight:bold}.ok .r,#verdict.ok{background:#d4edda}
code{font-size:12px;word-break:break-all}.w{max-width:22em;word-break:break-word}
#filter{margin:0.5em 0;padding:4px;width:24em}
</style></head><body>
<h1>Checksum audit: ${esc(r.bundle.name)}</h1>
<table id="summary" data-artifacts="${r.totals.artifacts}" data-ok="${r.totals.ok}" data-failed="${r.totals.failed}" data-problems="${r.totals.problems}">${summary}</table>
${problems ? `<h2>Problems found by verify</h2><ul id="problems">${problems}</ul>` : ''}
<h2>Artifacts</h2>
<input id="filter" type="search" placeholder="filter: any text in a row, e.g. failed, image, velero" aria-label="filter rows">
<span id="shown"></span>
<table id="artifacts"><thead><tr><th>result</th><th>kind</th><th>name</th><th>source</th><th>vouched for by</th><th>expected sha256</th><th>computed sha256</th><th>size</th><th>image signature</th><th>registry</th><th>problems</th></tr></thead>
<tbody>${r.rows.map(htmlRow).join('\n')}</tbody></table>
<script>
(function(){var f=document.getElementById('filter'),rows=[].slice.call(document.querySelectorAll('#artifacts tbody tr')),shown=document.getElementById('shown');
function apply(){var q=f.value.toLowerCase(),n=0;rows.forEach(function(tr){var hit=!q||tr.textContent.toLowerCase().indexOf(q)>=0;tr.style.display=hit?'':'none';if(hit)n++;});shown.textContent=n+' of '+rows.length+' rows';}
f.addEventListener('input',apply);apply();})();
</script>
</body></html>
`;
}

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { makeImage, makeLayer, seed, seededBytes } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'chromium');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.runIf(ok)('checksum audit reports', () => {
  let host: FileHost;
  let up: TestRegistry;
  let bundle: string;
  const a = seededBytes('audit-a', 100_000);
  const b = seededBytes('audit-b', 100_000);

  beforeAll(async () => {
    up = await startRegistry();
    await seed(up, 'team/app', '1', makeImage({ layers: [await makeLayer({ seed: 'audit-layer', size: 50_000, gzip: true })] }));
    host = await startFileHost({ '/a.bin': a, '/b.bin': b });
    const dir = scratch();
    const m = writeManifest(
      dir,
      `  images:\n    - team/app:1\n  files:\n    - url: ${host.url}/a.bin\n      sha256: ${hex(a)}\n    - url: ${host.url}/b.bin\n      sha256: ${hex(b)}\n`,
    );
    bundle = (await pull(m, join(dir, 'b.tar'), [['docker.io', up.url]])).result.bundle;
  });
  afterAll(async () => {
    await host?.stop();
    await up?.stop();
  });

  it('a bundle with one corrupted blob: exactly that artifact fails, and it comes first', async () => {
    const dir = scratch();
    const good = await run(['bundle', 'audit', bundle, '--format', 'json', '-o', join(dir, 'good.json')]);
    expect(good.code, good.stderr).toBe(0);
    const clean = JSON.parse(readFileSync(join(dir, 'good.json'), 'utf8'));
    expect(clean.totals).toMatchObject({ artifacts: 3, ok: 3, failed: 0, problems: 0 });
    expect(clean.rows.find((r: { name: string }) => r.name === 'a.bin')).toMatchObject({
      kind: 'file',
      source: `${host.url}/a.bin`,
      vouchedBy: 'sha256 pinned in the bundle manifest',
      expected: `sha256:${hex(a)}`,
      computed: `sha256:${hex(a)}`,
      result: 'ok',
    });
    expect(clean.rows.find((r: { kind: string }) => r.kind === 'image').vouchedBy).toMatch(
      /^registry docker\.io resolved docker\.io\/team\/app:1 to sha256:/,
    );

    const damaged = join(dir, 'damaged.tar');
    const bytes = readFileSync(bundle);
    bytes[bytes.indexOf(b.subarray(5000, 5064)) + 10] ^= 0x01;
    writeFileSync(damaged, bytes);
    const bad = await run(['bundle', 'audit', damaged, '-o', join(dir, 'bad.json')]);
    expect(bad.code).toBe(3);
    const report = JSON.parse(readFileSync(join(dir, 'bad.json'), 'utf8'));
    expect(report.rows.map((r: { name: string; result: string }) => `${r.result} ${r.name}`)).toEqual([
      'failed b.bin',
      'ok docker.io/team/app:1',
      'ok a.bin',
    ]);
    expect(report.rows[0].computed).not.toBe(report.rows[0].expected);
    expect(report.totals).toMatchObject({ failed: 1, ok: 2 });

    const md = await run(['bundle', 'audit', damaged, '-o', join(dir, 'bad.md')]);
    expect(md.code).toBe(3);
    expect(readFileSync(join(dir, 'bad.md'), 'utf8')).toContain('| **FAILED** | file | b.bin |');
  });

  it('push --report reads every tag back; a tag moved afterwards is caught by audit --registry', async () => {
    const down = await startRegistry();
    const dir = scratch();
    try {
      const pushed = await run([
        'bundle',
        'push',
        bundle,
        '--registry',
        `${down.host}/enclave`,
        '--plain-http',
        '--report',
        join(dir, 'push.json'),
      ]);
      expect(pushed.code, pushed.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'push.json'), 'utf8'));
      expect(report.registry.tags).toEqual([
        expect.objectContaining({ source: 'docker.io/team/app:1', target: `${down.host}/enclave/team/app:1`, result: 'ok' }),
      ]);
      // Someone moves the tag to another image.
      await seed(down, 'enclave/team/app', '1', makeImage({ layers: [await makeLayer({ seed: 'intruder', size: 1000, gzip: true })] }));
      const audit = await run([
        'bundle',
        'audit',
        bundle,
        '--registry',
        `${down.host}/enclave`,
        '--plain-http',
        '-o',
        join(dir, 'after.json'),
      ]);
      expect(audit.code).toBe(3);
      const after = JSON.parse(readFileSync(join(dir, 'after.json'), 'utf8'));
      expect(after.rows[0]).toMatchObject({
        kind: 'image',
        result: 'failed',
        registry: { result: 'failed', expected: report.registry.tags[0].expected },
      });
      expect(after.rows[0].registry.actual).not.toBe(report.registry.tags[0].expected);
      expect(after.totals).toMatchObject({ registryChecked: 1, registryFailed: 1 });
    } finally {
      await down.stop();
    }
  });

  it('the HTML report renders offline in Chromium: summary counts match the JSON, failures first, the filter works', async () => {
    const { chromium } = await import('playwright-core');
    const dir = scratch();
    const damaged = join(dir, 'damaged.tar');
    const bytes = readFileSync(bundle);
    bytes[bytes.indexOf(a.subarray(7000, 7064)) + 3] ^= 0x01;
    writeFileSync(damaged, bytes);
    expect((await run(['bundle', 'audit', damaged, '-o', join(dir, 'r.html')])).code).toBe(3);
    expect((await run(['bundle', 'audit', damaged, '-o', join(dir, 'r.json')])).code).toBe(3);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${join(dir, 'r.html')}`);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]); // self-contained
      const counts = await page.$eval('#summary', (t) => ({
        artifacts: Number(t.getAttribute('data-artifacts')),
        ok: Number(t.getAttribute('data-ok')),
        failed: Number(t.getAttribute('data-failed')),
      }));
      expect(counts).toEqual({ artifacts: json.totals.artifacts, ok: json.totals.ok, failed: json.totals.failed });
      expect(await page.textContent('#verdict')).toBe('FAIL');
      const firstRow = await page.$eval('#artifacts tbody tr', (tr) => tr.textContent ?? '');
      expect(firstRow).toContain('FAILED');
      expect(firstRow).toContain('a.bin');
      await page.fill('#filter', 'b.bin');
      expect(
        await page.$$eval(
          '#artifacts tbody tr',
          (trs) => trs.filter((tr) => (tr as unknown as { style: { display: string } }).style.display !== 'none').length,
        ),
      ).toBe(1);
      expect(await page.textContent('#shown')).toBe('1 of 3 rows');
    } finally {
      await browser.close();
    }
  }, 60_000);
});

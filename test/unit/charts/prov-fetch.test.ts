import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/manifest/load.js';
import { chartDifferences } from '../../../src/kinds/chart/match-charts.js';
import { archiveName, checkChartProvenance } from '../../../src/kinds/chart/prov-fetch.js';
import { lockedChart, type LockedChart } from '../../../src/kinds/chart/schema.js';
import { requireHelm } from '../../helpers/helm.js';
import { type ChartSigner, makeChartSigner } from '../../helpers/signed-chart.js';

const head = 'apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: t\n';
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('keyring on a chart entry', () => {
  it('is read relative to the manifest: the lock path relative, the file absolute', () => {
    const m = parseManifest(
      `${head}spec:\n  charts:\n    - repo: https://charts.example\n      name: app\n      version: 1.0.0\n      keyring: ../keys/k.gpg\n`,
      '/srv/m/m.yaml',
    );
    expect(m.charts[0]?.keyring).toEqual({ path: '../keys/k.gpg', file: '/srv/keys/k.gpg' });
  });

  it('a keyring added, changed or dropped is a lock difference', () => {
    const base = {
      repo: 'https://charts.example',
      name: 'app',
      requested: '1.0.0',
      version: '1.0.0',
      sha256: 'a'.repeat(64),
      size: 1,
      vouchedBy: {
        kind: 'index',
        indexUrl: 'https://charts.example/index.yaml',
        indexSha256: 'b'.repeat(64),
        url: 'https://charts.example/app-1.0.0.tgz',
      },
      imagesEnabled: true,
      extraImages: [],
      excludeImages: [],
      values: [],
      images: [],
    } satisfies LockedChart;
    const signed = {
      ...base,
      provenance: { sha256: 'c'.repeat(64), size: 9, signature: 'verified' as const, signer: 'F'.repeat(40), keyring: 'k.gpg' },
    };
    expect(lockedChart.safeParse(signed).success).toBe(true);
    expect(
      lockedChart.safeParse({ ...base, provenance: { sha256: 'c'.repeat(64), size: 9, signature: 'not checked', signer: 'x' } }).success,
    ).toBe(false);
    const entry = {
      repo: base.repo,
      name: 'app',
      version: '1.0.0',
      images: true,
      values: [],
      extraImages: [],
      excludeImages: [],
      render: true,
    };
    const what = 'chart app from https://charts.example: keyring changed';
    expect(chartDifferences([signed], [{ ...entry, keyring: { path: 'k.gpg', file: '/k.gpg' } }])).toEqual([]);
    expect(chartDifferences([signed], [entry])).toEqual([`${what}: the manifest says none, the lock says k.gpg`]);
    expect(chartDifferences([base], [{ ...entry, keyring: { path: 'k.gpg', file: '/k.gpg' } }])).toEqual([
      `${what}: the manifest says k.gpg, the lock says none`,
    ]);
  });

  it("takes the archive's file name from its URL", () => {
    expect(archiveName('https://charts.example/sub/app-1.0.0.tgz?x=1')).toBe('app-1.0.0.tgz');
    expect(archiveName('https://charts.example/a%2Bb.tgz')).toBe('a+b.tgz');
  });
});

describe.runIf(requireHelm())('checkChartProvenance with a .prov from helm package --sign', () => {
  let signer: ChartSigner;
  let tgz: Buffer;
  let prov: Buffer;
  let keyring: { path: string; file: string };
  beforeAll(async () => {
    signer = await makeChartSigner();
    const path = signer.packageSigned('app', '1.0.0', join(signer.dir, 'out'));
    tgz = readFileSync(path);
    prov = readFileSync(`${path}.prov`);
    keyring = { path: 'k.gpg', file: join(signer.dir, 'k.gpg') };
    writeFileSync(keyring.file, readFileSync(signer.pubring));
  }, 60_000);
  afterAll(() => signer?.stop());
  const url = 'https://charts.example/app-1.0.0.tgz.prov';

  it('records the signer with a keyring, not checked without; no .prov without a keyring is no provenance', async () => {
    const archive = { sha256: hex(tgz), name: 'app-1.0.0.tgz' };
    const verified = await checkChartProvenance({ name: 'app', keyring }, '1.0.0', archive, url, prov);
    expect(verified?.locked).toEqual({
      sha256: hex(prov),
      size: prov.length,
      signature: 'verified',
      signer: signer.fingerprint,
      keyring: 'k.gpg',
    });
    const unchecked = await checkChartProvenance({ name: 'app' }, '1.0.0', archive, url, prov);
    expect(unchecked?.locked).toEqual({ sha256: hex(prov), size: prov.length, signature: 'not checked' });
    expect(await checkChartProvenance({ name: 'app' }, '1.0.0', archive, url, undefined)).toBeUndefined();
  });

  it('falls back to <name>-<version>.tgz when the repository serves the archive under another name', async () => {
    const got = await checkChartProvenance({ name: 'app' }, '1.0.0', { sha256: hex(tgz), name: 'download' }, url, prov);
    expect(got?.locked.signature).toBe('not checked');
  });

  it('names a keyring it cannot read', async () => {
    await expect(
      checkChartProvenance(
        { name: 'app', keyring: { path: 'gone.gpg', file: join(signer.dir, 'gone.gpg') } },
        '1.0.0',
        { sha256: hex(tgz), name: 'app-1.0.0.tgz' },
        url,
        prov,
      ),
    ).rejects.toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringMatching(/^chart app: cannot read keyring gone\.gpg: /) });
  });
});

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../../../src/core/errors.js';
import { checkListedSha256, parseProvenanceBody, readProvenance, verifyProvenanceSignature } from '../../../src/kinds/chart/provenance.js';
import { requireHelm } from '../../helpers/helm.js';
import { type ChartSigner, makeChartSigner } from '../../helpers/signed-chart.js';

const HEX = 'a'.repeat(64);

describe('.prov body', () => {
  it('reads the files list after the "..." line', () => {
    const p = parseProvenanceBody(
      `apiVersion: v2\nname: demo\nversion: 1.0.0\n\n...\nfiles:\n  demo-1.0.0.tgz: sha256:${HEX.toUpperCase()}\n`,
      'x.prov',
    );
    expect(p.files).toEqual({ 'demo-1.0.0.tgz': HEX });
    expect(() => checkListedSha256(p, 'demo-1.0.0.tgz', HEX, 'x.prov')).not.toThrow();
  });

  it('refuses a body without the archive entry, naming what it lists', () => {
    const p = parseProvenanceBody(`name: demo\n...\nfiles:\n  other-1.0.0.tgz: sha256:${HEX}\n`, 'x.prov');
    expect(() => checkListedSha256(p, 'demo-1.0.0.tgz', HEX, 'x.prov')).toThrow(
      /x\.prov: lists no sha256 for demo-1\.0\.0\.tgz \(lists other-1\.0\.0\.tgz\)/,
    );
  });

  it('names expected and actual sha256 on a mismatch', () => {
    const p = parseProvenanceBody(`name: demo\n...\nfiles:\n  demo-1.0.0.tgz: sha256:${HEX}\n`, 'x.prov');
    const b = 'b'.repeat(64);
    expect(() => checkListedSha256(p, 'demo-1.0.0.tgz', b, 'x.prov')).toThrow(
      `lists sha256 ${HEX} for demo-1.0.0.tgz, but the archive's sha256 is ${b}`,
    );
  });

  it('refuses a body with no "..." line or a bad sum', () => {
    expect(() => parseProvenanceBody('name: demo\n', 'x.prov')).toThrow(/no "\.\.\." line/);
    expect(() => parseProvenanceBody('name: demo\n...\nfiles:\n  d.tgz: md5:00\n', 'x.prov')).toThrow(/files\.d\.tgz is not sha256/);
  });

  it('refuses bad armour with CHART_PROVENANCE_INVALID', async () => {
    const err = await readProvenance(Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----\nnonsense\n'), 'x.prov').catch((e: unknown) => e);
    expect(isFerryError(err, 'CHART_PROVENANCE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/^x\.prov: not a clearsigned provenance file/);
  });
});

describe.runIf(requireHelm())('.prov made by helm package --sign', () => {
  let signer: ChartSigner;
  let stranger: ChartSigner;
  let tgz: string;
  beforeAll(async () => {
    [signer, stranger] = await Promise.all([makeChartSigner(), makeChartSigner('Stranger <s@example.com>')]);
    tgz = signer.packageSigned('demo', '1.2.3', join(signer.dir, 'out'));
  }, 60_000);
  afterAll(async () => {
    await signer?.stop();
    await stranger?.stop();
  });

  it('verifies with the signer keyring and lists the archive sha256', async () => {
    const prov = readFileSync(`${tgz}.prov`);
    const sum = createHash('sha256').update(readFileSync(tgz)).digest('hex');
    const { provenance, signer: fpr } = await verifyProvenanceSignature(
      prov,
      { bytes: readFileSync(signer.pubring), path: 'pubring.gpg' },
      'demo-1.2.3.tgz.prov',
    );
    expect(fpr).toBe(signer.fingerprint);
    expect(provenance.files['demo-1.2.3.tgz']).toBe(sum);
    expect((await readProvenance(prov, 'p')).files).toEqual(provenance.files);
  });

  it("refuses a stranger's keyring, naming the signing key and the keyring", async () => {
    const prov = readFileSync(`${tgz}.prov`);
    const err = await verifyProvenanceSignature(
      prov,
      { bytes: readFileSync(stranger.pubring), path: 'stranger.gpg' },
      'demo-1.2.3.tgz.prov',
    ).catch((e: unknown) => e);
    expect(isFerryError(err, 'CHART_PROVENANCE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/^demo-1\.2\.3\.tgz\.prov: signed by key [0-9A-F]{16}, not in keyring stranger\.gpg$/);
    expect(signer.fingerprint.endsWith(/key ([0-9A-F]{16})/.exec((err as Error).message)?.[1] as string)).toBe(true);
  });
});

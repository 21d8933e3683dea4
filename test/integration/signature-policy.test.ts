import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../../src/core/errors.js';
import { buildAuditReport } from '../../src/report/audit-model.js';
import { renderReport } from '../../src/report/render-report.js';
import { checkBundlePolicy } from '../../src/verify/bundle-policy.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { cosignKey, signatureLayer, simpleSigningPayload, attestationLayer } from '../helpers/cosign-sign.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { makeImage, makeLayer, seed } from '../helpers/images.js';
import { carried, lockEntry } from '../helpers/referrer-entries.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry');
const IMAGE = 'docker.io/velero/velero:v1';
const team = cosignKey();
const stranger = cosignKey();

/** A manifest pulling the image, with the given signature rules (keys beside it). */
function manifest(rules: string, dir = scratch()): string {
  writeFileSync(join(dir, 'team.pub'), team.publicPem);
  writeFileSync(join(dir, 'stranger.pub'), stranger.publicPem);
  return writeManifest(dir, `  images: [velero/velero:v1]\n${rules ? `  signatures:\n${rules}` : ''}`);
}
const veleroByTeam = '    - images: "docker.io/velero/*"\n      key: team.pub\n';
const busyboxOnly = '    - images: "docker.io/library/busybox"\n      key: team.pub\n';

describe.runIf(ok)('signature policy: pull, verify --policy, audit', () => {
  let up: TestRegistry;
  let plain: string;
  let digest: string;

  beforeAll(async () => {
    up = await startRegistry();
    await seed(up, 'velero/velero', 'v1', makeImage({ layers: [await makeLayer({ seed: 'sig-policy', size: 20_000 })] }));
    const m = manifest('');
    plain = (await pull(m, join(m, '..', 'b.tar'), [['docker.io', up.url]])).result.bundle;
    digest = new CraftedBundle(plain).indexEntry((d) => d.annotations['dev.ferry.kind'] === 'image').digest;
  });
  afterAll(async () => {
    await up?.stop();
  });

  it('pull with a rule for the image fails SIGNATURE_MISSING before writing, and leaves nothing that looks finished', async () => {
    const m = manifest(veleroByTeam);
    const out = join(m, '..', 'out', 'b.tar');
    const err = await pull(m, out, [['docker.io', up.url]]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFerryError(err) && err.code).toBe('SIGNATURE_MISSING');
    expect((err as Error).message).toBe(`${IMAGE}@${digest}: no signature found (required by key ${join(m, '..', 'team.pub')})`);
    expect(readdirSync(join(m, '..', 'out'))).toEqual([]);

    const cli = await run(['bundle', 'pull', m, '-o', out, '--no-progress', '--mirror', `docker.io=${up.url}`]);
    expect(cli.code).toBe(3);
    expect(cli.stderr.trim().split('\n')).toEqual([expect.stringContaining(`${IMAGE}@${digest}: no signature found (required by key`)]);
    expect(readdirSync(join(m, '..', 'out'))).toEqual([]);
  });

  it('a policy no image matches: the pull passes and records it; a pull without one records nothing', async () => {
    const m = manifest(busyboxOnly);
    const { result, events } = await pull(m, join(m, '..', 'b.tar'), [['docker.io', up.url]]);
    const meta = new CraftedBundle(result.bundle).json('ferry-bundle.json');
    expect(meta.signatures).toEqual({ images: [{ image: IMAGE, digest, result: 'not required', rules: [] }] });
    expect(events).toContainEqual({ type: 'info', message: `signature policy: ${IMAGE}: no rule matches, no signature required` });
    expect(new CraftedBundle(plain).json('ferry-bundle.json')).not.toHaveProperty('signatures');

    const dir = scratch();
    const audit = await run(['bundle', 'audit', result.bundle, '-o', join(dir, 'r.json')]);
    expect(audit.code, audit.stderr).toBe(0);
    const row = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).rows.find((r: { kind: string }) => r.kind === 'image');
    expect(row.signature).toEqual({ result: 'not required', checkedAt: 'pull', digest, signers: [], checked: [] });
  });

  it('verify --policy: exit 3 with one line when the image is not signed; a rule for other images passes; without --policy no check', async () => {
    const missing = await run(['bundle', 'verify', plain, '--no-progress', '--policy', manifest(veleroByTeam)]);
    expect(missing.code).toBe(3);
    // The unsigned-bundle warning, then the one error line.
    const lines = missing.stderr.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('warning:'))).toEqual([
      expect.stringMatching(
        /^ferry: error \[SIGNATURE_MISSING\]: docker\.io\/velero\/velero:v1@sha256:[0-9a-f]{64}: no signature found \(required by key .*team\.pub\)$/,
      ),
    ]);
    expect(missing.stdout).toBe('');

    const other = await run(['bundle', 'verify', plain, '--policy', manifest(busyboxOnly)]);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain(`signature policy: ${IMAGE}: no rule matches, no signature required`);

    const none = await run(['bundle', 'verify', plain]);
    expect(none.code).toBe(0);
    expect(none.stdout).not.toContain('signature policy');

    const empty = await run(['bundle', 'verify', plain, '--policy', manifest('')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no spec.signatures, so --policy has nothing to check');

    const help = await run(['bundle', 'verify', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('without it, image signatures are not checked');
  });

  /** The plain bundle with signature entries carried as the contract describes them, SHA256SUMS recomputed. */
  function signed(key = team.privateKey): string {
    const sig = carried(digest, 'docker.io/velero/velero', 'signature', [
      signatureLayer(key, simpleSigningPayload(digest, 'docker.io/velero/velero')),
    ]);
    const att = carried(digest, 'docker.io/velero/velero', 'attestation', [
      attestationLayer(key, digest, 'https://slsa.dev/provenance/v1'),
    ]);
    // Referrers are pinned in the lock like every other entry of index.json.
    const b = new CraftedBundle(plain)
      .addBlobs([...sig.blobs, ...att.blobs])
      .addIndexEntries([sig.entry, att.entry])
      .editJson('ferry.lock.json', (l) => (l.referrers = [lockEntry(att, IMAGE), lockEntry(sig, IMAGE)]));
    return b.write(join(scratch(), 'signed.tar'));
  }

  it('carried signatures in a bundle file: checked from its own bytes, shown in the audit column', async () => {
    const path = signed();
    const verified = await verifyBundle(path);
    expect(verified.problems).toEqual([]);
    const m = manifest(veleroByTeam);
    const r = await checkBundlePolicy(path, m);
    expect(r.error).toBeUndefined();
    expect(r.record.images[0]).toMatchObject({ image: IMAGE, digest, result: 'passed' });
    expect(r.record.images[0]?.rules[0]?.signer.key?.file).toBe('team.pub');

    const report = await buildAuditReport(path, verified, 'ferry test', r.record);
    const row = report.rows.find((x) => x.kind === 'image');
    expect(row?.signature).toMatchObject({
      result: 'passed',
      checkedAt: 'policy',
      checked: [`signature sha256-${digest.slice(7)}.sig`, `attestation https://slsa.dev/provenance/v1 (sha256-${digest.slice(7)}.att)`],
    });
    expect(row?.signature?.signers[0]).toMatch(/^key team\.pub \(sha256:[0-9a-f]{64}\)$/);
    expect(renderReport(report, 'md')).toMatch(/\| passed \(by --policy\): key team\.pub \(sha256:[0-9a-f]{64}\): signature sha256-/);
    expect(renderReport(report, 'html')).toContain('<td class="w sig">passed (by --policy): key team.pub');
    const unchecked = await buildAuditReport(path, verified, 'ferry test');
    expect(unchecked.rows.find((x) => x.kind === 'image')?.signature?.result).toBe('not checked');
    expect(renderReport(unchecked, 'md')).toContain('not checked (no signature policy applied)');
  });

  it('a bundle whose carried signature is by another key fails, naming the image and the key; the audit row fails', async () => {
    const path = signed(stranger.privateKey);
    const m = manifest(veleroByTeam);
    const r = await checkBundlePolicy(path, m);
    expect(r.error?.code).toBe('SIGNATURE_INVALID');
    expect(r.error?.message).toBe(
      `${IMAGE}@${digest}: no valid signature by key ${join(m, '..', 'team.pub')}: signature made by another key, or over another payload`,
    );
    const report = await buildAuditReport(path, await verifyBundle(path), 'ferry test', r.record);
    const row = report.rows.find((x) => x.kind === 'image');
    expect(row?.result).toBe('failed');
    expect(row?.problems).toContain(`signature: ${r.error?.message}`);
    expect(report.totals.failed).toBe(1);
  });
});

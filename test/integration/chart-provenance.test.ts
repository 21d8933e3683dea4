import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { helm, helmAsync, requireHelm } from '../helpers/helm.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type ChartSigner, makeChartSigner } from '../helpers/signed-chart.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'gpg') && requireHelm();
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const FILE = 'demo-1.0.0.tgz';

interface LockedProv {
  sha256: string;
  size: number;
  signature: string;
  signer?: string;
  keyring?: string;
}

/**
 * docs/charts.md "Provenance": a chart signed by real `helm package --sign`, served with its .prov by a classic
 * repository; ferry checks it against the manifest's keyring, records it in the lock, and carries it so real Helm
 * verifies the pushed and the staged chart (`helm pull --verify`).
 */
describe.runIf(ok)('chart provenance', () => {
  let signer: ChartSigner;
  let stranger: ChartSigner;
  let upstream: FileHost;
  let down: TestRegistry;
  let tgz: Buffer;
  let prov: Buffer;
  const work = scratch('ferry-chart-prov-');

  /** A repository at /NAME serving `bytes` as demo 1.0.0, with `withProv` as its .prov when given. */
  const serve = (name: string, bytes: Buffer, withProv?: Buffer) => {
    const entries = { demo: [{ apiVersion: 'v2', name: 'demo', version: '1.0.0', digest: hex(bytes), urls: [FILE] }] };
    upstream.files.set(`/${name}/index.yaml`, Buffer.from(stringify({ apiVersion: 'v1', entries })));
    upstream.files.set(`/${name}/${FILE}`, bytes);
    if (withProv) upstream.files.set(`/${name}/${FILE}.prov`, withProv);
    return `${upstream.url}/${name}`;
  };
  /** Pulls demo from `repo` with `keyring` (copied beside the manifest as k.gpg) into a new directory. */
  const pullDemo = async (repo: string, keyring?: string) => {
    const dir = scratch('ferry-chart-prov-pull-');
    if (keyring) copyFileSync(keyring, join(dir, 'k.gpg'));
    const manifest = writeManifest(
      dir,
      `  charts:\n    - repo: ${repo}\n      name: demo\n      version: 1.0.0\n      images: false\n${keyring ? '      keyring: k.gpg\n' : ''}`,
    );
    const out = join(dir, 'b.tar');
    const r = await run(['bundle', 'pull', manifest, '-o', out, '--no-progress', '--cache', join(dir, 'cache')]);
    const lock =
      r.code === 0 ? (JSON.parse(readFileSync(`${out}.lock.json`, 'utf8')) as { charts: { provenance?: LockedProv }[] }) : undefined;
    return { ...r, out, manifest, provenance: lock?.charts[0]?.provenance };
  };

  beforeAll(async () => {
    [signer, stranger, upstream, down] = await Promise.all([
      makeChartSigner(),
      makeChartSigner('Stranger <s@example.com>'),
      startFileHost(),
      startRegistry(),
    ]);
    const path = signer.packageSigned('demo', '1.0.0', join(signer.dir, 'out'));
    tgz = readFileSync(path);
    prov = readFileSync(`${path}.prov`);
  }, 60_000);
  afterAll(async () => {
    await upstream?.stop();
    await down?.stop();
    await signer?.stop();
    await stranger?.stop();
  });

  it('with the right keyring: the lock records the signer; push and stage carry the .prov for helm pull --verify', async () => {
    const got = await pullDemo(serve('good', tgz, prov), signer.pubring);
    expect(got.code, got.stderr).toBe(0);
    expect(got.provenance).toEqual({
      sha256: hex(prov),
      size: prov.length,
      signature: 'verified',
      signer: signer.fingerprint,
      keyring: 'k.gpg',
    });
    expect(got.stdout).toContain(`provenance signed by ${signer.fingerprint} (keyring k.gpg)`);

    // inspect and the audit report say who signed it, and inspect names the .prov the bundle carries.
    const inspected = await run(['bundle', 'inspect', got.out]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toContain(`provenance signed by ${signer.fingerprint} (keyring k.gpg) (.prov sha256:${hex(prov)})`);
    const reportPath = join(work, 'audit.json');
    const audited = await run(['bundle', 'audit', got.out, '-o', reportPath]);
    expect(audited.code, audited.stderr).toBe(0);
    const rows = (JSON.parse(readFileSync(reportPath, 'utf8')) as { rows: { name: string; provenance?: string }[] }).rows;
    expect(rows.find((r) => r.name === 'demo')?.provenance).toBe(`provenance signed by ${signer.fingerprint} (keyring k.gpg)`);

    const pushed = await run(['bundle', 'push', got.out, '--registry', `${down.host}/enclave`, '--plain-http', '--no-progress']);
    expect(pushed.code, pushed.stderr).toBe(0);
    const out = scratch('ferry-helm-pull-');
    const ref = `oci://${down.host}/enclave/charts/demo`;
    helm(['pull', ref, '--version', '1.0.0', '--plain-http', '--verify', '--keyring', signer.pubring, '--destination', out]);
    expect(hex(readFileSync(join(out, FILE)))).toBe(hex(tgz));

    const dir = join(work, 'staged');
    const staged = await run(['bundle', 'stage', got.out, '--dir', dir, '--no-progress']);
    expect(staged.code, staged.stderr).toBe(0);
    expect(readdirSync(join(dir, 'charts')).sort()).toEqual([FILE, `${FILE}.prov`, 'index.yaml']);
    expect(readFileSync(join(dir, 'charts', `${FILE}.prov`))).toEqual(prov);
    const files = Object.fromEntries(readdirSync(join(dir, 'charts')).map((f) => [`/charts/${f}`, readFileSync(join(dir, 'charts', f))]));
    const repo = await startFileHost(files);
    try {
      await helmAsync(['repo', 'add', 'provstaged', `${repo.url}/charts`]);
      const to = scratch('ferry-helm-pull-');
      const said = await helmAsync([
        'pull',
        'provstaged/demo',
        '--version',
        '1.0.0',
        '--verify',
        '--keyring',
        signer.pubring,
        '--destination',
        to,
      ]);
      expect(said).toContain('Signed by');
      expect(hex(readFileSync(join(to, FILE)))).toBe(hex(tgz));
      // And the stranger's keyring makes Helm refuse the same staged chart: the .prov is what it checks.
      await expect(
        helmAsync(['pull', 'provstaged/demo', '--version', '1.0.0', '--verify', '--keyring', stranger.pubring, '--destination', scratch()]),
      ).rejects.toThrow();
    } finally {
      await helmAsync(['repo', 'remove', 'provstaged']).catch(() => undefined);
      await repo.stop();
    }
  }, 120_000);

  it('refuses a tampered .tgz (index digest updated, the old .prov) naming the chart and the .prov', async () => {
    // The same chart recompressed: a valid archive the index vouches for, but not the one the .prov lists.
    const tampered = gzipSync(gunzipSync(tgz), { level: 1 });
    expect(hex(tampered)).not.toBe(hex(tgz));
    const repo = serve('tampered', tampered, prov);
    for (const keyring of [signer.pubring, undefined]) {
      const got = await pullDemo(repo, keyring);
      expect(got.code).not.toBe(0);
      expect(got.stderr).toContain(
        `[CHART_PROVENANCE_INVALID]: chart demo 1.0.0 (${repo}/${FILE}.prov): lists sha256 ${hex(tgz)} for ${FILE}`,
      );
      expect(got.stderr).toContain(`the archive's sha256 is ${hex(tampered)}`);
    }
  });

  it("refuses a .prov signed by a key not in the manifest's keyring", async () => {
    const repo = serve('good', tgz, prov);
    const got = await pullDemo(repo, stranger.pubring);
    expect(got.code).not.toBe(0);
    expect(got.stderr).toMatch(
      new RegExp(
        `\\[CHART_PROVENANCE_INVALID\\]: chart demo 1\\.0\\.0 \\(${repo}/${FILE}\\.prov\\): signed by key [0-9A-F]+, not in keyring k\\.gpg`,
      ),
    );
  });

  it('refuses a chart with no .prov when the manifest gives a keyring', async () => {
    const repo = serve('bare', tgz);
    const got = await pullDemo(repo, signer.pubring);
    expect(got.code).not.toBe(0);
    expect(got.stderr).toContain(
      `[CHART_PROVENANCE_INVALID]: chart demo 1.0.0 (${repo}/${FILE}.prov): no provenance file, but keyring k.gpg asks for one`,
    );
  });

  it('without a keyring: a .prov found has its sha256 checked and is recorded as not checked; none is recorded as none', async () => {
    const got = await pullDemo(serve('good', tgz, prov));
    expect(got.code, got.stderr).toBe(0);
    expect(got.provenance).toEqual({ sha256: hex(prov), size: prov.length, signature: 'not checked' });
    expect(got.stdout).toContain('provenance: signature not checked (no keyring)');
    const bare = await pullDemo(serve('bare', tgz));
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.provenance).toBeUndefined();
    // An object store's 403 for the missing .prov is no provenance too, when no keyring asks for one.
    const forbidden = serve('forbidden', tgz);
    upstream.failTimes.set(`/forbidden/${FILE}.prov`, { status: 403, times: 1000 });
    const denied = await pullDemo(forbidden);
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.provenance).toBeUndefined();
    // The bundle still carries the .prov: Helm in the enclave verifies with its own keyring.
    const dir = join(work, 'staged-unchecked');
    const staged = await run(['bundle', 'stage', got.out, '--dir', dir, '--no-progress']);
    expect(staged.code, staged.stderr).toBe(0);
    expect(readFileSync(join(dir, 'charts', `${FILE}.prov`))).toEqual(prov);
  });

  it('--lock fetches the .prov again and holds it to the lock: a changed .prov is refused', async () => {
    const repo = serve('relock', tgz, prov);
    const got = await pullDemo(repo, signer.pubring);
    expect(got.code, got.stderr).toBe(0);
    const again = join(work, 'relock.tar');
    const args = ['bundle', 'pull', got.manifest, '--lock', `${got.out}.lock.json`, '--no-progress', '--cache', join(work, 'relock-cache')];
    const relocked = await run([...args, '-o', again]);
    expect(relocked.code, relocked.stderr).toBe(0);
    const dir = join(work, 'staged-relock');
    expect((await run(['bundle', 'stage', again, '--dir', dir, '--no-progress'])).code).toBe(0);
    expect(readFileSync(join(dir, 'charts', `${FILE}.prov`))).toEqual(prov);
    upstream.files.set(`/relock/${FILE}.prov`, Buffer.concat([prov, Buffer.from('\n')]));
    const changed = await run([...args.slice(0, -1), join(work, 'relock-cache-2'), '-o', join(work, 'relock2.tar')]);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain(`[DIGEST_MISMATCH]: provenance of chart demo 1.0.0: expected sha256:${hex(prov)} (the lock)`);
  });

  it("from an OCI registry: the chart manifest's provenance layer is checked against the keyring and carried on", async () => {
    const got = await pullDemo(serve('ocisrc', tgz, prov));
    expect(got.code, got.stderr).toBe(0);
    const pushed = await run(['bundle', 'push', got.out, '--registry', `${down.host}/ocisrc`, '--plain-http', '--no-progress']);
    expect(pushed.code, pushed.stderr).toBe(0);
    const dir = scratch('ferry-chart-prov-oci-');
    copyFileSync(signer.pubring, join(dir, 'k.gpg'));
    const spec = `  charts:\n    - repo: oci://${down.host}/ocisrc/charts\n      name: demo\n      version: 1.0.0\n      images: false\n      keyring: k.gpg\n`;
    const { result } = await pull(writeManifest(dir, spec), join(dir, 'b.tar'), [], { client: { plainHttp: true } });
    const locked = (JSON.parse(readFileSync(result.lockPath, 'utf8')) as { charts: { provenance?: LockedProv }[] }).charts[0];
    expect(locked?.provenance).toEqual({
      sha256: hex(prov),
      size: prov.length,
      signature: 'verified',
      signer: signer.fingerprint,
      keyring: 'k.gpg',
    });
    const staged = join(dir, 'staged');
    expect((await run(['bundle', 'stage', join(dir, 'b.tar'), '--dir', staged, '--no-progress'])).code).toBe(0);
    expect(readFileSync(join(staged, 'charts', `${FILE}.prov`))).toEqual(prov);
    // A stranger's keyring refuses the same OCI chart, naming its provenance layer.
    copyFileSync(stranger.pubring, join(dir, 'k.gpg'));
    await expect(pull(writeManifest(dir, spec), join(dir, 'c.tar'), [], { client: { plainHttp: true } })).rejects.toMatchObject({
      code: 'CHART_PROVENANCE_INVALID',
      message: expect.stringContaining(`chart demo 1.0.0 (oci://${down.host}/ocisrc/charts/demo:1.0.0 provenance layer): signed by key`),
    });
  });
});

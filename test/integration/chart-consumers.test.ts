import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { helm, helmAsync, requireHelm, requireSharedCharts, sharedChart } from '../helpers/helm.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry') && requireHelm() && requireSharedCharts();
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The shared upstream charts, as real Helm packaged them. */
const CHARTS = [
  { name: 'kube-prometheus-stack', version: '88.5.3' },
  { name: 'grafana', version: '12.11.1' },
  { name: 'velero', version: '12.1.0' },
].map((c) => ({ ...c, file: `${c.name}-${c.version}.tgz`, bytes: readFileSync(sharedChart(`${c.name}-${c.version}.tgz`)) }));

/**
 * Real Helm as the consumer of what ferry writes: the charts ferry pushes to a registry and the chart repository it
 * stages are read back by `helm pull` and `helm template`, byte for byte what upstream published.
 */
describe.runIf(ok)('charts read back by real Helm', () => {
  let upstream: FileHost;
  let down: TestRegistry;
  const work = scratch('ferry-chart-consumers-');
  const bundle = join(work, 'charts.tar');

  beforeAll(async () => {
    [upstream, down] = await Promise.all([startFileHost(), startRegistry()]);
    const entries: Record<string, object[]> = {};
    for (const c of CHARTS) {
      upstream.files.set(`/charts/${c.file}`, c.bytes);
      entries[c.name] = [{ apiVersion: 'v2', name: c.name, version: c.version, digest: hex(c.bytes), urls: [c.file] }];
    }
    upstream.files.set('/charts/index.yaml', Buffer.from(stringify({ apiVersion: 'v1', entries })));
    // The charts alone (images: false): what is read back here is the charts, not their images.
    const body = CHARTS.map(
      (c) => `    - repo: ${upstream.url}/charts\n      name: ${c.name}\n      version: "${c.version}"\n      images: false\n`,
    );
    const manifest = writeManifest(work, `  charts:\n${body.join('')}`);
    const pulled = await run(['bundle', 'pull', manifest, '-o', bundle, '--no-progress', '--cache', join(work, 'cache')]);
    expect(pulled.code, pulled.stderr).toBe(0);
  });
  afterAll(async () => {
    await upstream?.stop();
    await down?.stop();
  });

  it("inspect shows each chart's upstream .tgz sha256 beside its OCI digest, in text and --json", async () => {
    const text = await run(['bundle', 'inspect', bundle]);
    expect(text.code, text.stderr).toBe(0);
    const json = await run(['bundle', 'inspect', bundle, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const artifacts = (JSON.parse(json.stdout) as { artifacts: { kind: string; name: string; digest: string; tgzSha256?: string }[] })
      .artifacts;
    for (const c of CHARTS) {
      const a = artifacts.find((x) => x.kind === 'chart' && x.name === c.name);
      expect(a?.tgzSha256).toBe(`sha256:${hex(c.bytes)}`);
      expect(a?.digest).not.toBe(a?.tgzSha256);
      expect(text.stdout).toContain(`.tgz sha256:${hex(c.bytes)}, vouched for by the digest in ${upstream.url}/charts/index.yaml`);
      expect(text.stdout).toContain(a?.digest);
    }
    // The audit report: the .tgz sha256 pinned and computed, beside the OCI manifest the bundle keeps it under.
    const reportPath = join(work, 'audit.json');
    const audited = await run(['bundle', 'audit', bundle, '-o', reportPath]);
    expect(audited.code, audited.stderr).toBe(0);
    const rows = (
      JSON.parse(readFileSync(reportPath, 'utf8')) as {
        rows: { name: string; expected: string; computed: string; manifestDigest?: string }[];
      }
    ).rows;
    for (const c of CHARTS) {
      const r = rows.find((x) => x.name === c.name);
      expect(r).toMatchObject({ expected: `sha256:${hex(c.bytes)}`, computed: `sha256:${hex(c.bytes)}` });
      expect(r?.manifestDigest).toBe(artifacts.find((x) => x.kind === 'chart' && x.name === c.name)?.digest);
    }
  });

  it('after push: helm pull oci:// gives the upstream .tgz byte for byte, and helm template oci:// renders it', async () => {
    const pushed = await run(['bundle', 'push', bundle, '--registry', `${down.host}/enclave`, '--plain-http', '--no-progress']);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/^pushed 3 charts to /m);
    for (const c of CHARTS) {
      const out = scratch('ferry-helm-pull-');
      const ref = `oci://${down.host}/enclave/charts/${c.name}`;
      helm(['pull', ref, '--version', c.version, '--plain-http', '--destination', out]);
      expect(readdirSync(out)).toEqual([c.file]);
      expect(hex(readFileSync(join(out, c.file)))).toBe(hex(c.bytes));
      const rendered = helm(['template', 'rel', ref, '--version', c.version, '--plain-http']);
      expect(rendered).toMatch(/^kind: /m);
    }
  });

  it('after stage: helm repo add over HTTP and helm pull read the staged repository', async () => {
    const dir = join(work, 'staged');
    const staged = await run(['bundle', 'stage', bundle, '--dir', dir, '--no-progress']);
    expect(staged.code, staged.stderr).toBe(0);
    const files = Object.fromEntries(readdirSync(join(dir, 'charts')).map((f) => [`/charts/${f}`, readFileSync(join(dir, 'charts', f))]));
    const repo = await startFileHost(files);
    try {
      // The staged repository is served from this process: Helm runs without blocking it.
      await helmAsync(['repo', 'add', 'enclave', `${repo.url}/charts`]);
      for (const c of CHARTS) {
        const out = scratch('ferry-helm-pull-');
        await helmAsync(['pull', `enclave/${c.name}`, '--version', c.version, '--destination', out]);
        expect(hex(readFileSync(join(out, c.file)))).toBe(hex(c.bytes));
      }
      const listed = JSON.parse(await helmAsync(['search', 'repo', 'enclave/', '--output', 'json'])) as { name: string; version: string }[];
      expect(listed.map((l) => `${l.name} ${l.version}`).sort()).toEqual(CHARTS.map((c) => `enclave/${c.name} ${c.version}`).sort());
    } finally {
      await helmAsync(['repo', 'remove', 'enclave']).catch(() => undefined);
      await repo.stop();
    }
  });
});

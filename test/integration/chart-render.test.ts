import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { chartTgz } from '../helpers/charts.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { HELM, helm, imagesByLines, requireHelm, requireSharedCharts, sharedChart } from '../helpers/helm.js';
import { makeImage, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { buildRke2Release, hostRelease } from '../helpers/rke2-release.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'zstd') && requireHelm() && requireSharedCharts();
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const RKE2 = 'v1.31.4+rke2r1';

/** What real Helm renders for the chart with these arguments (release name = chart name, as ferry runs it). */
const renderedByHelm = (name: string, tgz: string, ...args: string[]) =>
  imagesByLines(helm(['template', name, tgz, '--include-crds', ...args]));

interface Case {
  name: string;
  tgz: string;
  values?: string;
}
const CASES: Case[] = [
  { name: 'kube-prometheus-stack', tgz: 'kube-prometheus-stack-88.5.3.tgz' },
  { name: 'kube-prometheus-stack', tgz: 'kube-prometheus-stack-88.5.3.tgz', values: 'values/kps-thanos-ruler.yaml' },
  { name: 'grafana', tgz: 'grafana-12.11.1.tgz' },
  { name: 'velero', tgz: 'velero-12.1.0.tgz' },
  { name: 'velero', tgz: 'velero-12.1.0.tgz', values: 'values/velero-aws.yaml' },
];

/** Charts of other shapes, built here. */
const deployment = (image: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${image}\n`;
const built = (name: string, version: string, chart: object, files: Record<string, string | object>) => ({
  name,
  version,
  tgz: chartTgz(name, { 'Chart.yaml': { apiVersion: 'v2', name, version, ...chart }, ...files }),
});
const plain = (name: string, tag: string) =>
  built(
    name,
    '1.0.0',
    {},
    {
      'values.yaml': { image: { repository: `quay.io/o/${name}`, tag } },
      'templates/app.yaml': deployment('{{ .Values.image.repository }}:{{ .Values.image.tag }}'),
    },
  );
const BUILT = [
  built('refuses', '0.1.0', { kubeVersion: '>=1.40.0-0' }, { 'templates/app.yaml': deployment('quay.io/o/refuses:1') }),
  built(
    'needs-value',
    '0.2.0',
    {},
    {
      'templates/app.yaml': deployment('{{ required "databaseHost is required: set it in your values" .Values.databaseHost }}'),
    },
  ),
  // The kubectl image a hook runs, tagged with the cluster's Kubernetes version, as many charts do.
  built(
    'kubectl-hook',
    '1.0.0',
    {},
    {
      'templates/job.yaml':
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-crds\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n        - name: kubectl\n          image: registry.k8s.io/kubectl:{{ .Capabilities.KubeVersion.Version }}\n',
    },
  ),
  plain('plain', '1.0'),
  plain('plain-two', '2.0'),
];

describe.runIf(ok)('charts rendered with real Helm', () => {
  let host: FileHost;
  let up: TestRegistry;
  let helmVersion: string;
  const truth = new Map<Case, string[]>();
  const work = scratch('ferry-render-');

  beforeAll(async () => {
    helmVersion = helm(['version', '--short']).trim();
    [up, host] = await Promise.all([startRegistry(), startFileHost()]);
    const entries: Record<string, object[]> = {};
    const serve = (name: string, version: string, tgz: Buffer) => {
      const file = `${name}-${version}.tgz`;
      host.files.set(`/charts/${file}`, tgz);
      writeFileSync(join(work, file), tgz);
      (entries[name] ??= []).push({ apiVersion: 'v2', name, version, digest: hex(tgz), urls: [file] });
    };
    for (const c of CASES)
      if (!host.files.has(`/charts/${c.tgz}`)) serve(c.name, c.tgz.slice(c.name.length + 1, -4), readFileSync(sharedChart(c.tgz)));
    for (const b of BUILT) serve(b.name, b.version, b.tgz);
    host.files.set('/charts/index.yaml', Buffer.from(stringify({ apiVersion: 'v1', entries })));
    for (const c of CASES) truth.set(c, renderedByHelm(c.name, sharedChart(c.tgz), ...(c.values ? ['-f', sharedChart(c.values)] : [])));
    const wanted = new Set([...truth.values()].flat());
    wanted.add(
      renderedByHelm('kubectl-hook', join(work, 'kubectl-hook-1.0.0.tgz'), '--kube-version', RKE2.split('+')[0] as string)[0] as string,
    );
    wanted.add('quay.io/o/plain:1.0').add('quay.io/o/plain-two:2.0');
    const image = makeImage({ layers: [await makeLayer({ seed: 'rendered', size: 1024, gzip: true })] });
    for (const ref of wanted) {
      const [, path, tag] = /^[^/]+\/(.+):([^:/]+)$/.exec(ref) as RegExpExecArray;
      await seed(up, path as string, tag as string, image);
    }
  });
  afterAll(async () => {
    await host?.stop();
    await up?.stop();
  });

  const mirrors = (): [string, string][] => ['docker.io', 'quay.io', 'ghcr.io', 'registry.k8s.io'].map((r) => [r, up.url]);
  const entry = (name: string, version: string, extra = '') =>
    `    - repo: ${host.url}/charts\n      name: ${name}\n      version: "${version}"\n${extra}`;
  const caseEntry = (c: Case) =>
    entry(c.name, c.tgz.slice(c.name.length + 1, -4), c.values ? `      values: [${sharedChart(c.values)}]\n` : '');
  const chartsOf = (lockPath: string) =>
    JSON.parse(readFileSync(lockPath, 'utf8')).charts as {
      name: string;
      images: { ref: string; sources: string[] }[];
      discovery?: object;
    }[];

  it('locks exactly the images helm template renders, for the shared charts with their default and shared values', async () => {
    // Helm behind a script that notes each command it is given: asked its version once per pull, one render per chart.
    const calls = join(work, 'calls.log');
    const wrapper = join(work, 'helm-wrapper');
    writeFileSync(wrapper, `#!/bin/sh\necho "$1" >> '${calls}'\nexec '${HELM}' "$@"\n`, { mode: 0o755 });
    // Two pulls: a chart appears once per manifest, and two of the five cases differ by values only.
    for (const group of [CASES.filter((c) => c.values || c.name === 'grafana'), CASES.filter((c) => !c.values && c.name !== 'grafana')]) {
      writeFileSync(calls, '');
      const dir = scratch();
      const { result, events } = await pull(
        writeManifest(dir, `  charts:\n${group.map(caseEntry).join('')}`),
        join(dir, 'b.tar'),
        mirrors(),
        { helm: wrapper },
      );
      expect(readFileSync(calls, 'utf8')).toBe(`version\n${'template\n'.repeat(group.length)}`);
      expect(events.filter((e) => e.type === 'info' && e.message.startsWith('charts rendered with Helm'))).toEqual([
        { type: 'info', message: `charts rendered with Helm ${helmVersion} (${wrapper})` },
      ]);
      const charts = chartsOf(result.lockPath);
      for (const c of group) {
        const locked = charts.find((l) => l.name === c.name);
        expect(locked?.images.map((i) => i.ref)).toEqual(truth.get(c));
        expect(locked?.images.every((i) => i.sources.every((s) => s.startsWith('rendered: ')))).toBe(true);
        expect(locked?.discovery).toEqual({ method: 'rendered', helm: helmVersion });
      }
      // The pull's report says how each chart's images were found.
      const reported = events.flatMap((e) => (e.type === 'info' && e.message.startsWith('  resolved chart') ? [e.message] : []));
      expect(reported).toEqual(
        group.map((c) => {
          const version = c.tgz.slice(c.name.length + 1, -4);
          const sha = hex(readFileSync(sharedChart(c.tgz)));
          const n = truth.get(c)?.length;
          return `  resolved chart ${c.name} ${version} → ${version} (sha256 ${sha}), ${n} images rendered by Helm ${helmVersion} for Helm's default Kubernetes version:`;
        }),
      );
    }
  });

  it("renders for the RKE2 release's Kubernetes version: a tag built from .Capabilities.KubeVersion carries it", async () => {
    const release = await buildRke2Release(RKE2);
    const { releaseUrl } = hostRelease(host, release);
    const dir = scratch();
    const manifest = `  rke2:\n    version: ${RKE2}\n    installScript: false\n    releaseUrl: ${releaseUrl}\n  charts:\n${entry('kubectl-hook', '1.0.0')}`;
    const { result } = await pull(writeManifest(dir, manifest), join(dir, 'b.tar'), mirrors(), { helm: HELM });
    const [locked] = chartsOf(result.lockPath);
    const kube = RKE2.split('+')[0] as string;
    expect(locked?.images.map((i) => i.ref)).toEqual(
      renderedByHelm('kubectl-hook', join(work, 'kubectl-hook-1.0.0.tgz'), '--kube-version', kube),
    );
    expect(locked?.images.map((i) => i.ref)).toEqual([`registry.k8s.io/kubectl:${kube}`]);
    expect(locked?.images[0]?.sources).toEqual(['rendered: Job/kubectl-hook-crds container kubectl']);
    expect(locked?.discovery).toEqual({ method: 'rendered', helm: helmVersion, kubeVersion: kube });
  });

  it("shows Helm's own error, naming the chart: a kubeVersion the chart refuses, a required value missing", async () => {
    // Helm's words, read here from its stderr: the `Error:` line and the lines that continue it.
    const said = (name: string, version: string): string[] => {
      try {
        helm(['template', name, join(work, `${name}-${version}.tgz`), '--include-crds']);
      } catch (err) {
        const lines = (err as { stderr: string }).stderr.split('\n');
        const from = lines.findIndex((l) => l.startsWith('Error:'));
        const to = lines.findIndex((l, i) => i > from && l.trim() === '');
        return lines.slice(from, to).map((l) => l.trim());
      }
      throw new Error(`helm rendered ${name}`);
    };
    const dir = scratch();
    const manifest = writeManifest(dir, `  charts:\n${entry('refuses', '0.1.0')}${entry('needs-value', '0.2.0')}`);
    const err = await pull(manifest, join(dir, 'b.tar'), mirrors(), { helm: HELM }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CHART_RENDER_FAILED' });
    const failures = (err as { details: { failures: { what: string; code: string; message: string }[] } }).details.failures;
    expect(failures.map((f) => [f.what, f.code])).toEqual([
      ['chart refuses', 'CHART_RENDER_FAILED'],
      ['chart needs-value', 'CHART_RENDER_FAILED'],
    ]);
    const refused = said('refuses', '0.1.0');
    expect(refused.join(' ')).toMatch(/kubeVersion: >=1.40.0-0/);
    expect(failures[0]?.message).toContain(
      `chart refuses 0.1.0: helm template (Helm ${helmVersion}, Helm's default Kubernetes version) failed: ${refused[0]}`,
    );
    const missing = said('needs-value', '0.2.0');
    expect(missing.join(' ')).toContain('databaseHost is required: set it in your values');
    expect(failures[1]?.message).toContain(
      `chart needs-value 0.2.0: helm template (Helm ${helmVersion}, Helm's default Kubernetes version) failed: ${missing[0]}`,
    );
    for (const line of missing) expect(failures[1]?.message).toContain(line);
    expect(failures[1]?.message).toContain('set render: false on the chart entry');
  });

  it('falls back to static discovery with render: false and without Helm, and says so in the lock and once in the events', async () => {
    const dir = scratch();
    const manifest = writeManifest(dir, `  charts:\n${entry('plain', '1.0.0', '      render: false\n')}${entry('plain-two', '1.0.0')}`);
    const noHelm = join(dir, 'empty-path');
    mkdirSync(noHelm);
    const path = process.env.PATH;
    process.env.PATH = noHelm;
    let pulled: Awaited<ReturnType<typeof pull>>;
    try {
      pulled = await pull(manifest, join(dir, 'b.tar'), mirrors());
    } finally {
      process.env.PATH = path;
    }
    const charts = chartsOf(pulled.result.lockPath);
    expect(charts.map((c) => [c.name, c.discovery, c.images.map((i) => i.ref)])).toEqual([
      ['plain', { method: 'static', why: 'render: false' }, ['quay.io/o/plain:1.0']],
      ['plain-two', { method: 'static', why: 'no helm' }, ['quay.io/o/plain-two:2.0']],
    ]);
    const said = pulled.events.filter((e) => e.type === 'info' && e.message.startsWith('helm not found'));
    expect(said).toEqual([{ type: 'info', message: "helm not found: charts' images found statically; pass --helm PATH" }]);
    // A --lock pull with render: false taken away is a changed manifest.
    await expect(
      pull(writeManifest(dir, `  charts:\n${entry('plain', '1.0.0')}${entry('plain-two', '1.0.0')}`), join(dir, 'c.tar'), mirrors(), {
        lockPath: pulled.result.lockPath,
      }),
    ).rejects.toMatchObject({ code: 'LOCK_MISMATCH', message: expect.stringContaining('chart plain from') });
  });

  it('a Helm that is named but is not one fails naming it: --helm on the command line, spec.helm.path in the manifest', async () => {
    const dir = scratch();
    const manifest = writeManifest(dir, `  charts:\n${entry('plain', '1.0.0')}`);
    const r = await run(['--no-progress', 'bundle', 'pull', manifest, '-o', join(dir, 'b.tar'), '--helm', '/nonexistent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "--helm /nonexistent: not a usable Helm: no such file; pass the path of a Helm 3 or later binary, or leave it out to find charts' images statically",
    );
    writeFileSync(join(dir, 'not-helm'), '#!/bin/sh\necho hello\n', { mode: 0o755 });
    const named = writeManifest(dir, `  helm:\n    path: not-helm\n  charts:\n${entry('plain', '1.0.0')}`);
    await expect(pull(named, join(dir, 'c.tar'), mirrors())).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      message: expect.stringContaining(
        `spec.helm.path ${join(dir, 'not-helm')}: not a usable Helm: \`helm version --short\` printed "hello", not a Helm version`,
      ),
    });
  });
});

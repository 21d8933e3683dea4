import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readChartArchive } from '../../src/kinds/chart/chart-archive.js';
import { discoverImages } from '../../src/kinds/chart/discover-images.js';
import { parseTree } from '../../src/kinds/chart/static/evaluate-chart.js';
import { Evaluator } from '../../src/kinds/chart/static/template-eval.js';
import { chartTgz, monitoringChart } from '../helpers/charts.js';
import { helm, imagesByLines, requireHelm, requireSharedCharts, sharedChart } from '../helpers/helm.js';

/**
 * Static discovery (no Helm at pull time) judged by real Helm: for each chart, the set ferry reads without Helm
 * against what `helm template` renders for the same chart and values.
 */
const ok = requireHelm() && requireSharedCharts();
const work = mkdtempSync(join(tmpdir(), 'ferry-static-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const rendered = (tgz: string, values: string[], ...args: string[]) =>
  imagesByLines(helm(['template', 'r', tgz, '--include-crds', ...values.flatMap((v) => ['-f', v]), ...args]));

function both(tgz: Buffer | string, valuesFiles: string[] = [], kubeVersion?: string) {
  const path = typeof tgz === 'string' ? tgz : join(work, `c${Math.random().toString(36).slice(2)}.tgz`);
  if (typeof tgz !== 'string') writeFileSync(path, tgz);
  const chart = readChartArchive(readFileSync(path), 'chart');
  const user = valuesFiles.map((v) => ({ path: v, values: parse(readFileSync(v, 'utf8')) as Record<string, unknown> }));
  const found = discoverImages(chart, user, { kubeVersion });
  const truth = rendered(path, valuesFiles, ...(kubeVersion ? ['--kube-version', kubeVersion] : []));
  return { found, refs: found.images.map((i) => i.ref), truth };
}

const deployment = (images: string[]) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n${images.map((img, i) => `        - name: c${i}\n          image: ${img}\n`).join('')}`;

describe.runIf(ok)('static discovery against real helm template', () => {
  it('on the shared upstream charts, default and shared values: 100 % recall, at least 90 % precision', () => {
    const cases: [string, string[]][] = [
      ['kube-prometheus-stack-88.5.3.tgz', []],
      ['kube-prometheus-stack-88.5.3.tgz', ['values/kps-thanos-ruler.yaml']],
      ['grafana-12.11.1.tgz', []],
      ['velero-12.1.0.tgz', []],
      ['velero-12.1.0.tgz', ['values/velero-aws.yaml']],
    ];
    let truths = 0;
    let hits = 0;
    let found = 0;
    for (const [tgz, values] of cases) {
      const r = both(sharedChart(tgz), values.map(sharedChart));
      expect(r.truth.length).toBeGreaterThan(0);
      expect(r.truth.filter((t) => !r.refs.includes(t))).toEqual([]); // every rendered image found
      truths += r.truth.length;
      hits += r.truth.filter((t) => r.refs.includes(t)).length;
      found += r.refs.length;
    }
    expect(hits).toBe(truths);
    expect(hits / found).toBeGreaterThanOrEqual(0.9);
  });

  it('credits a user values file as itself, and the chart values.yaml otherwise', () => {
    const r = both(sharedChart('velero-12.1.0.tgz'), [sharedChart('values/velero-aws.yaml')]);
    const plugin = r.found.images.find((i) => i.ref.includes('velero-plugin-for-aws'));
    expect(plugin?.sources).toContain(`${sharedChart('values/velero-aws.yaml')}: initContainers.0.image`);
    const velero = r.found.images.find((i) => i.ref.startsWith('docker.io/velero/velero:'));
    expect(velero?.sources).toContain('velero/values.yaml: image');
  });

  it('the kube-prometheus-stack-shaped chart the other tests use renders the same set', () => {
    // Helm does not render Chart.yaml's annotations; the images they name are kept beside what templates write.
    const r = both(monitoringChart());
    expect(r.refs).toEqual([...r.truth, 'quay.io/prometheus/prometheus:v2.53.0'].sort());
    const withUser = join(work, 'user.yaml');
    writeFileSync(
      withUser,
      stringify({
        global: { imageRegistry: 'mirror.local:5000' },
        thanosRuler: { enabled: true },
        nodeExporter: { enabled: true },
        grafana: { enabled: false },
      }),
    );
    const u = both(monitoringChart(), [withUser]);
    expect(u.refs).toEqual([...u.truth, 'quay.io/prometheus/prometheus:v2.53.0'].sort());
    expect(u.refs).toContain('mirror.local:5000/thanos/thanos:v0.35.1');
  });

  it('{image, tag, digest} values with the registry in global.image.registry', () => {
    const helper =
      '{{- define "img" -}}\n{{- $r := .root.Values.global.image.registry | default .image.registry -}}\n{{ $r }}/{{ .image.image }}{{ with .image.tag }}:{{ . }}{{ end }}{{ with .image.digest }}@{{ . }}{{ end }}\n{{- end -}}\n';
    const tgz = chartTgz('nginxish', {
      'Chart.yaml': { apiVersion: 'v2', name: 'nginxish', version: '1.0.0', appVersion: '1.12.0' },
      'values.yaml': {
        global: { image: { registry: 'registry.k8s.io' } },
        controller: {
          image: { image: 'ingress-nginx/controller', tag: 'v1.12.0', digest: `sha256:${'b'.repeat(64)}` },
          admissionWebhooks: { patch: { image: { image: 'ingress-nginx/kube-webhook-certgen', tag: 'v1.5.0', digest: '' } } },
        },
      },
      'templates/_helpers.tpl': helper,
      'templates/deploy.yaml': deployment([
        '"{{ include "img" (dict "root" . "image" .Values.controller.image) }}"',
        '"{{ include "img" (dict "root" . "image" .Values.controller.admissionWebhooks.patch.image) }}"',
      ]),
    });
    const r = both(tgz);
    expect(r.refs).toEqual(r.truth);
    expect(r.refs).toEqual([
      `registry.k8s.io/ingress-nginx/controller:v1.12.0@sha256:${'b'.repeat(64)}`,
      'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.5.0',
    ]);
  });

  it('a tag the helper derives from appVersion: a "v" prefix and a suffix chosen by a boolean value', () => {
    const tgz = chartTgz('exporter', {
      'Chart.yaml': { apiVersion: 'v2', name: 'exporter', version: '1.0.0', appVersion: '1.9.0' },
      'values.yaml': { image: { registry: 'quay.io', repository: 'o/exporter', tag: '', slim: true } },
      'templates/_helpers.tpl':
        '{{- define "exporter.image" -}}\n{{- printf "%s/%s:%s%s" .Values.image.registry .Values.image.repository (default (printf "v%s" .Chart.AppVersion) .Values.image.tag) (ternary "-slim" "" .Values.image.slim) }}\n{{- end }}\n',
      'templates/ds.yaml': deployment(['{{ include "exporter.image" . }}']),
    });
    const r = both(tgz);
    expect(r.refs).toEqual(['quay.io/o/exporter:v1.9.0-slim']);
    expect(r.refs).toEqual(r.truth);
  });

  it("drops images of templates the archive does not ship and of sections that are off; flags a tag from the cluster's version", () => {
    const tgz = chartTgz('hooks', {
      'Chart.yaml': { apiVersion: 'v2', name: 'hooks', version: '1.0.0', appVersion: '2.0.0' },
      'values.yaml': {
        image: { repository: 'quay.io/o/app', tag: '2.0.0' },
        testFramework: { image: { repository: 'docker.io/bats/bats', tag: '1.14.0' } }, // its template is not shipped
        cache: { enabled: false, image: { repository: 'docker.io/library/redis', tag: '7' } },
        dashboards: {},
        downloader: { image: { repository: 'docker.io/curlimages/curl', tag: '8' } },
        kubectl: { image: { repository: 'registry.k8s.io/kubectl' } },
      },
      'templates/app.yaml': deployment(['"{{ .Values.image.repository }}:{{ .Values.image.tag }}"']),
      'templates/cache.yaml': `{{- if .Values.cache.enabled }}\n${deployment(['"{{ .Values.cache.image.repository }}:{{ .Values.cache.image.tag }}"'])}{{- end }}\n`,
      'templates/download.yaml': `{{- if .Values.dashboards }}\n${deployment(['"{{ .Values.downloader.image.repository }}:{{ .Values.downloader.image.tag }}"'])}{{- end }}\n`,
      'templates/crds-job.yaml': deployment(['"{{ .Values.kubectl.image.repository }}:{{ .Capabilities.KubeVersion.Version }}"']),
    });
    const r = both(tgz);
    // Helm fills in its own default Kubernetes version; without Helm it is not known, so it is flagged.
    expect(r.refs).toEqual(['quay.io/o/app:2.0.0']);
    expect(r.truth.filter((t) => !t.includes('kubectl'))).toEqual(r.refs);
    expect(r.found.unresolved).toEqual([
      {
        image: "registry.k8s.io/kubectl:<the cluster's Kubernetes version>",
        why: "the cluster's Kubernetes version",
        source: 'hooks/templates/crds-job.yaml: Deployment/app container c0',
      },
    ]);
    // With the Kubernetes version the bundle targets, it is known, and equals what Helm renders for it.
    const k = both(tgz, [], 'v1.31.4');
    expect(k.refs).toEqual(k.truth);
    expect(k.refs).toContain('registry.k8s.io/kubectl:v1.31.4');
    expect(k.found.unresolved).toEqual([]);
  });

  it('a template ferry cannot read keeps the values images (recall over precision); a runaway template stops', () => {
    const odd = chartTgz('odd', {
      'Chart.yaml': { apiVersion: 'v2', name: 'odd', version: '1.0.0' },
      'values.yaml': { image: { repository: 'quay.io/o/odd', tag: '1' } },
      'templates/app.yaml': '{{ .Values.image.repository ~~ }}\n',
    });
    expect(discoverImages(readChartArchive(odd, 'odd')).images.map((i) => i.ref)).toEqual(['quay.io/o/odd:1']);
    const loop = chartTgz('loop', {
      'Chart.yaml': { apiVersion: 'v2', name: 'loop', version: '1.0.0' },
      'templates/_h.tpl': '{{- define "a" -}}{{ include "a" . }}{{ include "a" . }}{{- end -}}\n',
      'templates/app.yaml': '{{ include "a" . }}\n',
    });
    const doubling = chartTgz('doubling', {
      'Chart.yaml': { apiVersion: 'v2', name: 'doubling', version: '1.0.0' },
      'templates/app.yaml': '{{- $s := "ab" }}{{- range 200 }}{{- $s = printf "%s%s" $s $s }}{{- end }}\nx: {{ $s }}\n',
    });
    const t0 = Date.now();
    expect(discoverImages(readChartArchive(loop, 'loop')).images).toEqual([]);
    expect(discoverImages(readChartArchive(doubling, 'doubling')).images).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe.runIf(ok)("ferry's template evaluator against Helm's, on known values", () => {
  it('writes exactly what helm template writes for a template of common constructs', () => {
    const template = readFileSync(join(import.meta.dirname, 'fixtures/evaluator-constructs.yaml'), 'utf8');
    const values = {
      labels: { app: 'x', tier: 'web' },
      a: 'A',
      s: 'seven',
      off: false,
      mode: 'x',
      map: { k2: 'v2', k1: 'v1' },
      list: ['p', 'q'],
      tplText: '{{ .Values.s }}-{{ .Release.Name }}',
      emptyMap: {},
      slim: true,
      tag: '',
    };
    const tgz = chartTgz('t', {
      'Chart.yaml': { apiVersion: 'v2', name: 't', version: '1.2.3', appVersion: '4.5.6' },
      'values.yaml': values,
      'templates/_helpers.tpl': '{{- define "t.helper" -}}{{ .name }}@{{ .root.Chart.Version }}{{- end -}}\n',
      'templates/cm.yaml': template,
    });
    const path = join(work, 't.tgz');
    writeFileSync(path, tgz);
    const byHelm = helm(['template', 't', path, '--show-only', 'templates/cm.yaml']).replace(/^---\n# Source: .*\n/, '');
    const chart = readChartArchive(tgz, 't');
    const tree = parseTree(chart);
    const out = new Evaluator({ defines: tree.defines, parse: tree.parse, read: () => {}, paths: new WeakMap(), steps: { left: 1e6 } }).run(
      tree.bodies.get('t/templates/cm.yaml') ?? [],
      { Values: values, Chart: { Name: 't', Version: '1.2.3', AppVersion: '4.5.6' }, Release: { Name: 't' } },
    );
    expect(byHelm).toContain('withelse: yes');
    expect(out.trimEnd()).toBe(byHelm.trimEnd());
  });
});

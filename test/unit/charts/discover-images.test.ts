import { describe, expect, it } from 'vitest';
import { readChartArchive } from '../../../src/kinds/chart/chart-archive.js';
import { discoverImages } from '../../../src/kinds/chart/discover-images.js';
import { chartTgz, monitoringChart } from '../../helpers/charts.js';

describe('chart image discovery', () => {
  it('finds exactly the images the chart and its enabled subcharts use, with where each came from', () => {
    const chart = readChartArchive(monitoringChart(), 'kps.tgz');
    expect(chart.subcharts.map((s) => s.path)).toEqual([
      'kube-prometheus-stack/charts/grafana',
      'kube-prometheus-stack/charts/kube-state-metrics',
      'kube-prometheus-stack/charts/prometheus-node-exporter',
    ]);
    const t = (sub: string, file: string, what: string) => `kube-prometheus-stack${sub}/templates/${file}: ${what}`;
    expect(discoverImages(chart).images).toEqual([
      {
        ref: 'docker.io/bats/bats:v1.4.1',
        sources: [
          t('/charts/grafana', 'tests/test-pod.yaml', 'Pod/p container c'),
          'kube-prometheus-stack/charts/grafana/values.yaml: testFramework.image',
        ],
      },
      {
        ref: 'docker.io/grafana/grafana:11.1.1',
        sources: [
          t('/charts/grafana', 'deployment.yaml', 'Deployment/grafana container c0'),
          'kube-prometheus-stack/charts/grafana/values.yaml: image',
        ],
      },
      { ref: 'docker.io/library/busybox:1.36', sources: [t('', 'job.yaml', 'Job/wait container wait')] },
      {
        ref: 'quay.io/kiwigrid/k8s-sidecar:1.26.1',
        sources: [
          t('/charts/grafana', 'deployment.yaml', 'Deployment/grafana container c1'),
          'kube-prometheus-stack/charts/grafana/values.yaml: sidecar.image',
        ],
      },
      {
        ref: 'quay.io/prometheus-operator/prometheus-operator:v0.75.1',
        sources: [
          t('', 'operator.yaml', 'Deployment/operator container c0'),
          'kube-prometheus-stack/values.yaml: prometheusOperator.image',
        ],
      },
      {
        ref: 'quay.io/prometheus/alertmanager:v0.27.0',
        sources: [
          t('', 'alertmanager.yaml', 'Alertmanager/x spec.image'),
          'kube-prometheus-stack/values.yaml: alertmanager.alertmanagerSpec.image',
        ],
      },
      { ref: 'quay.io/prometheus/prometheus:v2.53.0', sources: ['kube-prometheus-stack/Chart.yaml: annotation artifacthub.io/images'] },
      {
        ref: 'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v20221220-controller-v1.5.1-58-g787ea74b6',
        sources: [
          t('', 'patch-job.yaml', 'Pod/p container c'),
          'kube-prometheus-stack/values.yaml: prometheusOperator.admissionWebhooks.patch.image',
        ],
      },
      {
        ref: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:2.12.0',
        sources: [
          t('/charts/kube-state-metrics', 'deployment.yaml', 'Deployment/ksm container c0'),
          'kube-prometheus-stack/charts/kube-state-metrics/values.yaml: image',
        ],
      },
    ]);
  });

  it('user values change the set: enabling a section or subchart, global.imageRegistry, digests', () => {
    const chart = readChartArchive(monitoringChart(), 'kps.tgz');
    const user = {
      global: { imageRegistry: 'mirror.local:5000' },
      thanosRuler: { enabled: true },
      nodeExporter: { enabled: true },
      grafana: { enabled: false },
      prometheusOperator: { image: { sha: 'a'.repeat(64) } },
    };
    const found = discoverImages(chart, [{ path: 'mine.yaml', values: user }]).images;
    const refs = found.map((i) => i.ref);
    expect(refs).toContain('mirror.local:5000/thanos/thanos:v0.35.1');
    expect(refs).toContain('mirror.local:5000/prometheus/node-exporter:1.8.1');
    expect(refs).toContain(`mirror.local:5000/prometheus-operator/prometheus-operator:v0.75.1@sha256:${'a'.repeat(64)}`);
    expect(refs.some((r) => r.includes('grafana') || r.includes('bats'))).toBe(false);
    // The image whose digest the user's file set is credited to that file, not to the chart's values.yaml.
    expect(found.find((i) => i.ref.includes('prometheus-operator'))?.sources).toContain('mine.yaml: prometheusOperator.image');
  });

  it('reads the helm.sh/images annotation (list of {name, image} or strings) and ignores a malformed one', () => {
    const withList = chartTgz('app', {
      'Chart.yaml': {
        apiVersion: 'v2',
        name: 'app',
        version: '1.0.0',
        annotations: { 'helm.sh/images': '- name: app\n  image: ghcr.io/acme/app:1.0.0\n- ghcr.io/acme/worker:1.0.0\n' },
      },
    });
    expect(discoverImages(readChartArchive(withList, 'app.tgz')).images).toEqual([
      { ref: 'ghcr.io/acme/app:1.0.0', sources: ['app/Chart.yaml: annotation helm.sh/images'] },
      { ref: 'ghcr.io/acme/worker:1.0.0', sources: ['app/Chart.yaml: annotation helm.sh/images'] },
    ]);
    const malformed = chartTgz('app', {
      'Chart.yaml': { apiVersion: 'v2', name: 'app', version: '1.0.0', annotations: { 'helm.sh/images': ': [' } },
    });
    expect(discoverImages(readChartArchive(malformed, 'app.tgz')).images).toEqual([]);
  });

  it('refuses what is not a chart', () => {
    expect(() => readChartArchive(Buffer.from('nope'), 'x.tgz')).toThrow('x.tgz is not a gzip-compressed tar');
    expect(() => readChartArchive(chartTgz('c', { 'values.yaml': 'a: 1' }), 'x.tgz')).toThrow('x.tgz has no <chart>/Chart.yaml');
  });
});

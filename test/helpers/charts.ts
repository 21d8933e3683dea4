import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { tarOf } from './docker-save.js';

/** A chart archive (`.tgz`) built from a file map; paths are relative to the chart's top directory. */
export function chartTgz(name: string, files: Record<string, string | Buffer | object>): Buffer {
  const members = Object.entries(files).map(([p, body]) => ({
    path: `${name}/${p}`,
    body: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : stringify(body)),
  }));
  return gzipSync(tarOf(members));
}

/**
 * A chart shaped like kube-prometheus-stack: images in object form with registry/repository split and empty tags
 * (appVersion), a string-form image, a disabled section, a disabled subchart (by condition), a packaged subchart
 * (nested .tgz) whose tag the parent overrides, a subchart as a directory, an annotation and a template literal.
 */
export function monitoringChart(version = '61.3.2'): Buffer {
  const grafana = chartTgz('grafana', {
    'Chart.yaml': { apiVersion: 'v2', name: 'grafana', version: '8.3.6', appVersion: '11.1.0' },
    'values.yaml': {
      image: { registry: 'docker.io', repository: 'grafana/grafana', tag: '' },
      sidecar: { image: { registry: 'quay.io', repository: 'kiwigrid/k8s-sidecar', tag: '1.26.1' } },
      testFramework: { enabled: true, image: 'docker.io/bats/bats:v1.4.1' },
      imageRenderer: { enabled: false, image: { registry: 'docker.io', repository: 'grafana/grafana-image-renderer', tag: 'latest' } },
    },
    'templates/deployment.yaml': 'spec:\n  containers:\n    - image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}"\n',
  });
  return chartTgz('kube-prometheus-stack', {
    'Chart.yaml': {
      apiVersion: 'v2',
      name: 'kube-prometheus-stack',
      version,
      appVersion: 'v0.75.1',
      annotations: { 'artifacthub.io/images': stringify([{ name: 'prometheus', image: 'quay.io/prometheus/prometheus:v2.53.0' }]) },
      dependencies: [
        { name: 'grafana', version: '8.3.6', condition: 'grafana.enabled' },
        { name: 'kube-state-metrics', version: '5.21.0', condition: 'kubeStateMetrics.enabled' },
        { name: 'prometheus-node-exporter', version: '4.37.0', condition: 'nodeExporter.enabled' },
      ],
    },
    'values.yaml': {
      global: { imageRegistry: '' },
      prometheusOperator: {
        enabled: true,
        image: { registry: 'quay.io', repository: 'prometheus-operator/prometheus-operator', tag: '', sha: '' },
        admissionWebhooks: {
          patch: {
            image: {
              registry: 'registry.k8s.io',
              repository: 'ingress-nginx/kube-webhook-certgen',
              tag: 'v20221220-controller-v1.5.1-58-g787ea74b6',
            },
          },
        },
      },
      alertmanager: {
        enabled: true,
        alertmanagerSpec: { image: { registry: 'quay.io', repository: 'prometheus/alertmanager', tag: 'v0.27.0' } },
      },
      thanosRuler: { enabled: false, thanosRulerSpec: { image: { registry: 'quay.io', repository: 'thanos/thanos', tag: 'v0.35.1' } } },
      grafana: { enabled: true, image: { tag: '11.1.1' } },
      nodeExporter: { enabled: false },
    },
    'templates/job.yaml':
      'spec:\n  containers:\n    - name: wait\n      image: docker.io/library/busybox:1.36\n    - image: {{ .Values.other }}\n',
    'charts/grafana-8.3.6.tgz': grafana,
    'charts/kube-state-metrics/Chart.yaml': { apiVersion: 'v2', name: 'kube-state-metrics', version: '5.21.0', appVersion: '2.12.0' },
    'charts/kube-state-metrics/values.yaml': {
      image: { registry: 'registry.k8s.io', repository: 'kube-state-metrics/kube-state-metrics', tag: '' },
    },
    'charts/prometheus-node-exporter/Chart.yaml': {
      apiVersion: 'v2',
      name: 'prometheus-node-exporter',
      version: '4.37.0',
      appVersion: '1.8.1',
    },
    'charts/prometheus-node-exporter/values.yaml': { image: { registry: 'quay.io', repository: 'prometheus/node-exporter', tag: '' } },
  });
}

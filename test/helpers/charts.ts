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
 * An image helper as real charts write one: the registry from global.imageRegistry or the image's own, the tag from
 * the image or else the chart's appVersion, a digest when `sha` is set.
 */
const IMAGE_HELPER = (prefix: string) =>
  `{{- define "${prefix}.image" -}}\n{{- $registry := .root.Values.global.imageRegistry | default .image.registry -}}\n{{- $tag := .image.tag | default .root.Chart.AppVersion -}}\n{{- if .image.sha -}}\n{{ $registry }}/{{ .image.repository }}:{{ $tag }}@sha256:{{ .image.sha }}\n{{- else -}}\n{{ $registry }}/{{ .image.repository }}:{{ $tag }}\n{{- end -}}\n{{- end -}}\n`;
const containersOf = (images: string[]) => images.map((img, i) => `        - name: c${i}\n          image: "${img}"\n`).join('');
const deploymentOf = (name: string, images: string[]) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n${containersOf(images)}`;
const podOf = (image: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: "${image}"\n`;
const crOf = (kind: string, image: string) =>
  `apiVersion: monitoring.coreos.com/v1\nkind: ${kind}\nmetadata:\n  name: x\nspec:\n  image: "${image}"\n`;

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
    'templates/_helpers.tpl': IMAGE_HELPER('grafana'),
    'templates/deployment.yaml': deploymentOf('grafana', [
      '{{ include "grafana.image" (dict "root" . "image" .Values.image) }}',
      '{{ include "grafana.image" (dict "root" . "image" .Values.sidecar.image) }}',
    ]),
    'templates/tests/test-pod.yaml': `{{- if .Values.testFramework.enabled }}\n${podOf('{{ .Values.testFramework.image }}')}{{- end }}\n`,
    'templates/image-renderer.yaml': `{{- if .Values.imageRenderer.enabled }}\n${podOf('{{ include "grafana.image" (dict "root" . "image" .Values.imageRenderer.image) }}')}{{- end }}\n`,
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
    'templates/_helpers.tpl': IMAGE_HELPER('kps'),
    'templates/job.yaml':
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: wait\nspec:\n  template:\n    spec:\n      containers:\n        - name: wait\n          image: docker.io/library/busybox:1.36\n',
    'templates/operator.yaml': `{{- if .Values.prometheusOperator.enabled }}\n${deploymentOf('operator', ['{{ include "kps.image" (dict "root" . "image" .Values.prometheusOperator.image) }}'])}{{- end }}\n`,
    'templates/patch-job.yaml': `{{- if .Values.prometheusOperator.enabled }}\n${podOf('{{ include "kps.image" (dict "root" . "image" .Values.prometheusOperator.admissionWebhooks.patch.image) }}')}{{- end }}\n`,
    'templates/alertmanager.yaml': `{{- if .Values.alertmanager.enabled }}\n${crOf('Alertmanager', '{{ include "kps.image" (dict "root" . "image" .Values.alertmanager.alertmanagerSpec.image) }}')}{{- end }}\n`,
    'templates/thanos-ruler.yaml': `{{- if .Values.thanosRuler.enabled }}\n${crOf('ThanosRuler', '{{ include "kps.image" (dict "root" . "image" .Values.thanosRuler.thanosRulerSpec.image) }}')}{{- end }}\n`,
    'charts/grafana-8.3.6.tgz': grafana,
    'charts/kube-state-metrics/Chart.yaml': { apiVersion: 'v2', name: 'kube-state-metrics', version: '5.21.0', appVersion: '2.12.0' },
    'charts/kube-state-metrics/values.yaml': {
      image: { registry: 'registry.k8s.io', repository: 'kube-state-metrics/kube-state-metrics', tag: '' },
    },
    'charts/kube-state-metrics/templates/_helpers.tpl': IMAGE_HELPER('ksm'),
    'charts/kube-state-metrics/templates/deployment.yaml': deploymentOf('ksm', [
      '{{ include "ksm.image" (dict "root" . "image" .Values.image) }}',
    ]),
    'charts/prometheus-node-exporter/Chart.yaml': {
      apiVersion: 'v2',
      name: 'prometheus-node-exporter',
      version: '4.37.0',
      appVersion: '1.8.1',
    },
    'charts/prometheus-node-exporter/values.yaml': { image: { registry: 'quay.io', repository: 'prometheus/node-exporter', tag: '' } },
    'charts/prometheus-node-exporter/templates/_helpers.tpl': IMAGE_HELPER('ne'),
    'charts/prometheus-node-exporter/templates/daemonset.yaml': deploymentOf('ne', [
      '{{ include "ne.image" (dict "root" . "image" .Values.image) }}',
    ]),
  });
}

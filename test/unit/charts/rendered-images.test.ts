import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { RenderedYamlError, isPullable, renderedImages } from '../../../src/kinds/chart/render/rendered-images.js';

/** A multi-document stream as `helm template` prints it: `---`, a `# Source:` comment, the object. */
const stream = (...objects: object[]) => objects.map((o, i) => `---\n# Source: app/templates/t${i}.yaml\n${stringify(o)}`).join('');
const meta = (name: string) => ({ name, namespace: 'default' });
const pod = (image: string, extra: object = {}) => ({ containers: [{ name: 'main', image }], ...extra });
const template = (spec: object) => ({ metadata: { labels: { app: 'x' } }, spec });

describe('renderedImages', () => {
  it('takes the containers, init and ephemeral containers of every workload kind, and image volumes', () => {
    const out = stream(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: meta('p'),
        spec: {
          containers: [{ name: 'a', image: 'busybox' }],
          initContainers: [{ name: 'init', image: 'ghcr.io/o/init:1' }],
          ephemeralContainers: [{ name: 'debug', image: 'docker.io/library/debian:12' }],
          volumes: [{ name: 'models', image: { reference: 'quay.io/o/models:v2', pullPolicy: 'IfNotPresent' } }, { name: 'tmp' }],
        },
      },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('d'), spec: { template: template(pod('quay.io/o/deploy:1')) } },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('s'), spec: { template: template(pod('quay.io/o/sts:1')) } },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('ds'), spec: { template: template(pod('quay.io/o/ds:1')) } },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('rs'), spec: { template: template(pod('quay.io/o/rs:1')) } },
      { apiVersion: 'v1', kind: 'ReplicationController', metadata: meta('rc'), spec: { template: template(pod('quay.io/o/rc:1')) } },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('j'), spec: { template: template(pod('quay.io/o/job:1')) } },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: meta('cj'),
        spec: { schedule: '@daily', jobTemplate: { spec: { template: template(pod('quay.io/o/cron:1')) } } },
      },
      { apiVersion: 'v1', kind: 'PodTemplate', metadata: meta('pt'), template: template(pod('quay.io/o/podtemplate:1')) },
    );
    expect(renderedImages(out)).toEqual([
      { ref: 'docker.io/library/busybox:latest', sources: ['rendered: Pod/p container a'] },
      { ref: 'docker.io/library/debian:12', sources: ['rendered: Pod/p ephemeral container debug'] },
      { ref: 'ghcr.io/o/init:1', sources: ['rendered: Pod/p init container init'] },
      { ref: 'quay.io/o/cron:1', sources: ['rendered: CronJob/cj container main'] },
      { ref: 'quay.io/o/deploy:1', sources: ['rendered: Deployment/d container main'] },
      { ref: 'quay.io/o/ds:1', sources: ['rendered: DaemonSet/ds container main'] },
      { ref: 'quay.io/o/job:1', sources: ['rendered: Job/j container main'] },
      { ref: 'quay.io/o/models:v2', sources: ['rendered: Pod/p volume models'] },
      { ref: 'quay.io/o/podtemplate:1', sources: ['rendered: PodTemplate/pt container main'] },
      { ref: 'quay.io/o/rc:1', sources: ['rendered: ReplicationController/rc container main'] },
      { ref: 'quay.io/o/rs:1', sources: ['rendered: ReplicaSet/rs container main'] },
      { ref: 'quay.io/o/sts:1', sources: ['rendered: StatefulSet/s container main'] },
    ]);
  });

  it("takes the image fields of an operator's custom resources, wherever they sit, and merges the sources of one image", () => {
    const out = stream(
      { apiVersion: 'monitoring.example/v1', kind: 'Prometheus', metadata: meta('prom'), spec: { image: 'quay.io/p/prometheus:v3.0.0' } },
      {
        apiVersion: 'monitoring.example/v1',
        kind: 'Ruler',
        metadata: meta('r'),
        spec: { image: 'quay.io/t/thanos:v1', containers: [{ name: 'side', image: 'quay.io/t/thanos:v1' }], imagePullPolicy: 'Always' },
      },
      { apiVersion: 'example/v1', kind: 'Empty', metadata: meta('e'), spec: { image: '' } },
    );
    expect(renderedImages(out)).toEqual([
      { ref: 'quay.io/p/prometheus:v3.0.0', sources: ['rendered: Prometheus/prom spec.image'] },
      { ref: 'quay.io/t/thanos:v1', sources: ['rendered: Ruler/r spec.containers[0].image', 'rendered: Ruler/r spec.image'] },
    ]);
  });

  it('takes --flag=REF from args, commands and env values when REF is a pullable reference, and no URL or path', () => {
    const container = {
      name: 'op',
      image: 'quay.io/o/operator:v1',
      command: ['/bin/op', '--sidecar=registry.example:5000/side/car@sha256:' + 'a'.repeat(64)],
      args: [
        '--config-reloader=quay.io/o/reloader:v1',
        '--base-image=localhost:5000/base:2',
        '--web.external-url=http://host.example/app:80',
        '--config=/etc/op/config.yaml',
        '--storage=data/prom:1', // no registry host: not taken
        '--untagged=quay.io/o/untagged', // no tag or digest: not taken
        '--listen=0.0.0.0:8080',
        'quay.io/o/positional:1', // not a flag
      ],
      env: [
        { name: 'EXTRA', value: '--helper=ghcr.io/o/helper:3' },
        { name: 'PLAIN', value: 'ghcr.io/o/plain:1' },
        { name: 'FROM', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ],
    };
    const out = stream({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('op'),
      spec: { template: template({ containers: [container] }) },
    });
    expect(renderedImages(out)).toEqual([
      { ref: 'ghcr.io/o/helper:3', sources: ['rendered: Deployment/op container op env EXTRA --helper'] },
      { ref: 'localhost:5000/base:2', sources: ['rendered: Deployment/op container op arg --base-image'] },
      { ref: 'quay.io/o/operator:v1', sources: ['rendered: Deployment/op container op'] },
      { ref: 'quay.io/o/reloader:v1', sources: ['rendered: Deployment/op container op arg --config-reloader'] },
      {
        ref: `registry.example:5000/side/car@sha256:${'a'.repeat(64)}`,
        sources: ['rendered: Deployment/op container op command --sidecar'],
      },
    ]);
    expect(isPullable('https://quay.io/o/x:1')).toBe(false);
    expect(isPullable('/quay.io/o/x:1')).toBe(false);
    expect(isPullable('quay.io/o/x:1')).toBe(true);
  });

  it('takes nothing from CRD schemas, from image fields that are not strings, or from text inside other values', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: meta('widgets.example'),
      spec: {
        versions: [
          {
            name: 'v1',
            schema: {
              openAPIV3Schema: {
                type: 'object',
                // An example is a literal object, `image` a string in it: a CRD's schema still names no image to pull.
                example: { image: 'quay.io/crd/example:1' },
                properties: { image: { type: 'string', default: 'quay.io/crd/default:1', description: 'image: quay.io/crd/desc:1' } },
              },
            },
          },
        ],
      },
    };
    const out = `${stream(
      crd,
      { apiVersion: 'example/v1', kind: 'Widget', metadata: meta('w'), spec: { image: { type: 'string' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cm'), data: { 'app.yaml': 'image: quay.io/cm/inside:1\n' } },
    )}...\n---\n# Source: app/templates/empty.yaml\n`;
    expect(renderedImages(out)).toEqual([]);
  });

  it('reads the objects of a List, and refuses a stream that is not YAML', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [{ apiVersion: 'v1', kind: 'Pod', metadata: meta('in-list'), spec: pod('quay.io/o/l:1') }],
    };
    expect(renderedImages(stream(list))).toEqual([{ ref: 'quay.io/o/l:1', sources: ['rendered: Pod/in-list container main'] }]);
    expect(() => renderedImages('---\nkind: Pod\nspec:\n  image: [unclosed\n')).toThrow(RenderedYamlError);
  });
});

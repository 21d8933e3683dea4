import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePushTarget } from '../../src/registry/push-target.js';
import { pushBundle } from '../../src/push/push-bundle.js';
import { RegistryClient } from '../../src/registry/client.js';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { monitoringChart } from '../helpers/charts.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type Image, makeImage, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'skopeo');
const sh = promisify(execFile);
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const KPS = 'kube-prometheus-stack';

/** The images the fixture chart uses with default values (test/unit/charts/discover-images.test.ts asserts why). */
const DEFAULT_IMAGES = [
  'docker.io/bats/bats:v1.4.1',
  'docker.io/grafana/grafana:11.1.1',
  'docker.io/library/busybox:1.36',
  'quay.io/kiwigrid/k8s-sidecar:1.26.1',
  'quay.io/prometheus-operator/prometheus-operator:v0.75.1',
  'quay.io/prometheus/alertmanager:v0.27.0',
  'quay.io/prometheus/prometheus:v2.53.0',
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v20221220-controller-v1.5.1-58-g787ea74b6',
  'registry.k8s.io/kube-state-metrics/kube-state-metrics:2.12.0',
];

/** A Helm chart pushed the way `helm push` stores it, with plain fetch() (not ferry's code). */
function helmArtifact(tgz: Buffer, meta: object): Image {
  const config = Buffer.from(JSON.stringify(meta));
  const blob = (mediaType: string, data: Buffer) => ({ mediaType, digest: `sha256:${hex(data)}`, size: data.length, data });
  const cfg = blob('application/vnd.cncf.helm.config.v1+json', config);
  const layer = blob('application/vnd.cncf.helm.chart.content.v1.tar+gzip', tgz);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { ...cfg, data: undefined },
      layers: [{ ...layer, data: undefined }],
    }),
  );
  return {
    manifest: blob('application/vnd.oci.image.manifest.v1+json', manifest),
    config: cfg,
    layers: [{ ...layer, diffId: '' }],
    platform: { os: 'linux', architecture: 'amd64' },
  } as unknown as Image;
}

describe.runIf(ok)('Helm charts', () => {
  let host: FileHost;
  let up: TestRegistry;
  const v1 = monitoringChart('61.3.2');
  const v2 = monitoringChart('61.4.0');
  const oci = monitoringChart('61.3.2+build.1');

  beforeAll(async () => {
    up = await startRegistry();
    const image = makeImage({ layers: [await makeLayer({ seed: 'chart-img', size: 4096, gzip: true })] });
    for (const ref of DEFAULT_IMAGES) {
      const [, path, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(ref) as RegExpExecArray;
      await seed(up, path as string, tag as string, image);
    }
    await seed(
      up,
      `charts/${KPS}`,
      '61.3.2_build.1',
      helmArtifact(oci, { apiVersion: 'v2', name: KPS, version: '61.3.2+build.1', appVersion: 'v0.75.1' }),
    );
    host = await startFileHost();
    const entry = (version: string, tgz: Buffer, url: string) => ({
      apiVersion: 'v2',
      name: KPS,
      version,
      appVersion: 'v0.75.1',
      digest: hex(tgz),
      urls: [url],
    });
    host.files.set('/charts/kube-prometheus-stack-61.3.2.tgz', v1);
    host.files.set('/releases/kube-prometheus-stack-61.4.0.tgz', v2);
    host.files.set(
      '/charts/index.yaml',
      Buffer.from(
        stringify({
          apiVersion: 'v1',
          entries: {
            [KPS]: [
              entry('62.0.0-rc.1', v2, 'kube-prometheus-stack-62.0.0-rc.1.tgz'),
              entry('61.4.0', v2, `${host.url}/releases/kube-prometheus-stack-61.4.0.tgz`), // absolute URL
              entry('61.3.2', v1, 'kube-prometheus-stack-61.3.2.tgz'), // relative to the repository
            ],
          },
        }),
      ),
    );
  });
  afterAll(async () => {
    await host?.stop();
    await up?.stop();
  });

  const mirrors = (): [string, string][] => ['docker.io', 'quay.io', 'registry.k8s.io'].map((r) => [r, up.url]);
  const chartSpec = (version: string, extra = '') =>
    `  charts:\n    - repo: ${host.url}/charts\n      name: ${KPS}\n      version: "${version}"\n${extra}`;

  it('resolves a range to the highest release, checks the .tgz against index.yaml, and pulls the images it uses', async () => {
    const dir = scratch();
    const { result, events } = await pull(writeManifest(dir, chartSpec('^61.0.0')), join(dir, 'b.tar'), mirrors());
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    const c = lock.charts[0];
    expect(c).toMatchObject({ name: KPS, requested: '^61.0.0', version: '61.4.0', sha256: hex(v2), size: v2.length });
    expect(c.vouchedBy).toEqual({
      kind: 'index',
      indexUrl: `${host.url}/charts/index.yaml`,
      indexSha256: hex(host.files.get('/charts/index.yaml') as Buffer),
      url: `${host.url}/releases/kube-prometheus-stack-61.4.0.tgz`,
    });
    expect(c.images.map((i: { ref: string }) => i.ref)).toEqual(DEFAULT_IMAGES);
    expect(c.images.find((i: { ref: string }) => i.ref.includes('alertmanager')).sources).toEqual([
      'kube-prometheus-stack/templates/alertmanager.yaml: Alertmanager/x spec.image',
      'kube-prometheus-stack/values.yaml: alertmanager.alertmanagerSpec.image',
    ]);
    expect(lock.images.map((i: { ref: string }) => i.ref)).toEqual(DEFAULT_IMAGES);
    expect(
      events.some(
        (e) =>
          e.type === 'info' &&
          e.message.includes(
            'quay.io/prometheus/alertmanager:v0.27.0  ← kube-prometheus-stack/templates/alertmanager.yaml: Alertmanager/x spec.image; kube-prometheus-stack/values.yaml: alertmanager.alertmanagerSpec.image',
          ),
      ),
    ).toBe(true);
    expect((await verifyBundle(result.bundle)).problems).toEqual([]);

    // --lock fetches the same chart and images again, byte for byte; a changed version is a lock mismatch.
    const again = await pull(writeManifest(dir, chartSpec('^61.0.0')), join(dir, 'again', 'b.tar'), mirrors(), {
      lockPath: result.lockPath,
    });
    expect(readFileSync(again.result.bundle).equals(readFileSync(result.bundle))).toBe(true);
    await expect(
      pull(writeManifest(scratch(), chartSpec('61.3.2')), join(dir, 'x.tar'), mirrors(), { lockPath: result.lockPath }),
    ).rejects.toMatchObject({
      code: 'LOCK_MISMATCH',
      message: expect.stringContaining(
        `chart ${KPS} from ${host.url}/charts: version changed: the manifest says 61.3.2, the lock says ^61.0.0`,
      ),
    });
  });

  it('an exact version with a relative URL; values files, extraImages and excludeImages change the image set', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'monitoring-values.yaml'), 'grafana:\n  enabled: false\n');
    const { result } = await pull(
      writeManifest(
        dir,
        chartSpec(
          '61.3.2',
          '      values: [monitoring-values.yaml]\n      extraImages: [docker.io/library/busybox:1.36]\n      excludeImages: ["registry.k8s.io/*"]\n',
        ),
      ),
      join(dir, 'b.tar'),
      mirrors(),
    );
    const c = JSON.parse(readFileSync(result.lockPath, 'utf8')).charts[0];
    expect(c.vouchedBy.url).toBe(`${host.url}/charts/kube-prometheus-stack-61.3.2.tgz`);
    expect(c.values).toEqual([{ path: 'monitoring-values.yaml', sha256: hex(Buffer.from('grafana:\n  enabled: false\n')) }]);
    expect(c.images.map((i: { ref: string }) => i.ref)).toEqual([
      'docker.io/library/busybox:1.36',
      'quay.io/prometheus-operator/prometheus-operator:v0.75.1',
      'quay.io/prometheus/alertmanager:v0.27.0',
      'quay.io/prometheus/prometheus:v2.53.0',
    ]);
    expect(c.images[0].sources).toEqual([
      'extraImages in the bundle manifest',
      'kube-prometheus-stack/templates/job.yaml: Job/wait container wait',
    ]);
  });

  it('refuses a tampered .tgz, and a version nothing matches', async () => {
    const good = host.files.get('/charts/kube-prometheus-stack-61.3.2.tgz') as Buffer;
    const bad = Buffer.from(good);
    bad[bad.length - 20] ^= 0xff;
    host.files.set('/charts/kube-prometheus-stack-61.3.2.tgz', bad);
    try {
      const dir = scratch();
      await expect(pull(writeManifest(dir, chartSpec('61.3.2')), join(dir, 'b.tar'), mirrors())).rejects.toMatchObject({
        code: 'DIGEST_MISMATCH',
        message: `chart ${KPS} 61.3.2 (${host.url}/charts/kube-prometheus-stack-61.3.2.tgz): sha256 ${hex(bad)}, but ${host.url}/charts/index.yaml says ${hex(good)}`,
      });
    } finally {
      host.files.set('/charts/kube-prometheus-stack-61.3.2.tgz', good);
    }
    const dir = scratch();
    await expect(pull(writeManifest(dir, chartSpec('~60.1')), join(dir, 'b.tar'), mirrors())).rejects.toMatchObject({
      code: 'CHART_VERSION_MISSING',
    });
    // An image the chart names that does not exist upstream: the error says which chart and where.
    writeFileSync(join(dir, 'v.yaml'), 'alertmanager:\n  alertmanagerSpec:\n    image:\n      tag: v9.9.9\n');
    await expect(
      pull(writeManifest(dir, chartSpec('61.3.2', '      values: [v.yaml]\n')), join(dir, 'c.tar'), mirrors()),
    ).rejects.toMatchObject({
      message: expect.stringContaining(
        `found in chart ${KPS} 61.3.2 (kube-prometheus-stack/templates/alertmanager.yaml: Alertmanager/x spec.image; v.yaml: alertmanager.alertmanagerSpec.image); fix it with extraImages or drop it with excludeImages`,
      ),
    });
  });

  it('from an OCI registry (+ in the version is _ in the tag); pushed charts read back byte-identical; staged as a chart repository', async () => {
    const dir = scratch();
    const manifest = writeManifest(
      dir,
      `  charts:\n    - repo: oci://${up.host}/charts\n      name: ${KPS}\n      version: 61.3.2+build.1\n      images: false\n${chartSpec('61.4.0', '      images: false\n').replace('  charts:\n', '')}`,
    );
    const { result } = await pull(manifest, join(dir, 'b.tar'), mirrors(), { client: { plainHttp: true } });
    const charts = JSON.parse(readFileSync(result.lockPath, 'utf8')).charts;
    expect(charts.find((c: { repo: string }) => c.repo.startsWith('oci://')).vouchedBy).toMatchObject({
      kind: 'oci',
      ref: `${up.host}/charts/${KPS}:61.3.2_build.1`,
    });

    const down = await startRegistry();
    try {
      const client = new RegistryClient({ plainHttp: true });
      const pushed = await pushBundle({ bundlePath: result.bundle, target: parsePushTarget(`${down.host}/enclave`), client }).finally(() =>
        client.close(),
      );
      expect(pushed.images.map((i) => i.kind)).toEqual(['chart', 'chart']);
      expect(pushed.images.map((i) => i.target).sort()).toEqual([
        `${down.host}/enclave/charts/${KPS}:61.3.2_build.1`,
        `${down.host}/enclave/charts/${KPS}:61.4.0`,
      ]);
      for (const [tag, upstream] of [
        ['61.4.0', v2],
        ['61.3.2_build.1', oci],
      ] as const) {
        const raw = JSON.parse(
          (await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${down.host}/enclave/charts/${KPS}:${tag}`])).stdout,
        );
        expect(raw.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json');
        expect(raw.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(['application/vnd.cncf.helm.chart.content.v1.tar+gzip']);
        const blob = Buffer.from(await (await fetch(`${down.url}/v2/enclave/charts/${KPS}/blobs/${raw.layers[0].digest}`)).arrayBuffer());
        expect(blob.equals(upstream)).toBe(true);
      }
    } finally {
      await down.stop();
    }

    const staged = scratch();
    await stageBundle({ bundlePath: result.bundle, dir: staged });
    const index = parse(readFileSync(join(staged, 'charts', 'index.yaml'), 'utf8'));
    expect(index.apiVersion).toBe('v1');
    const versions = index.entries[KPS].map((e: { version: string; digest: string; urls: string[] }) => [e.version, e.digest, e.urls]);
    expect(versions.sort()).toEqual([
      ['61.3.2+build.1', hex(oci), [`${KPS}-61.3.2+build.1.tgz`]],
      ['61.4.0', hex(v2), [`${KPS}-61.4.0.tgz`]],
    ]);
    expect(readFileSync(join(staged, 'charts', `${KPS}-61.4.0.tgz`)).equals(v2)).toBe(true);
  });

  it('ferry chart images prints the list and where each image came from, without writing a bundle', async () => {
    const r = await run(['--no-progress', 'chart', 'images', `${host.url}/charts`, KPS, '61.3.2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'quay.io/prometheus/alertmanager:v0.27.0\n    from kube-prometheus-stack/templates/alertmanager.yaml: Alertmanager/x spec.image\n    from kube-prometheus-stack/values.yaml: alertmanager.alertmanagerSpec.image',
    );
    const [header, ...rest] = r.stdout.trim().split('\n');
    expect(header).toBe(`${KPS} 61.3.2 (9 images found statically (no helm); sha256 ${hex(v1)})`);
    expect(rest.filter((l) => !l.startsWith(' '))).toEqual(DEFAULT_IMAGES);
  });
});

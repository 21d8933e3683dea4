import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryEvent } from '../../src/core/events.js';
import { parsePushTarget } from '../../src/registry/push-target.js';
import { pushBundle } from '../../src/push/push-bundle.js';
import { RegistryClient } from '../../src/registry/client.js';
import { staticCredentials } from '../../src/registry/credentials.js';
import { startChaosProxy } from '../helpers/chaos-proxy.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type FixtureRelease, buildRke2Release, hostRelease } from '../helpers/rke2-release.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'htpasswd', 'skopeo', 'zstd');
const sh = promisify(execFile);
const VERSION = 'v1.30.4+rke2r1';

describe.runIf(ok)('RKE2 images pushed from the image tarballs', () => {
  let host: FileHost;
  let release: FixtureRelease;
  let reg: TestRegistry;
  const bundles: Record<string, string> = {};

  beforeAll(async () => {
    release = await buildRke2Release(VERSION);
    host = await startFileHost();
    const urls = hostRelease(host, release);
    reg = await startRegistry({ htpasswd: { username: 'enclave', password: 'pw-0f-enclave' } });
    for (const [key, sets] of [
      ['sets', '    imageSets: [core, calico]\n'],
      ['aio', ''],
      ['shared', '    imageSets: [core, canal]\n'],
    ] as const) {
      const dir = scratch();
      const m = writeManifest(
        dir,
        `  rke2:\n    version: ${VERSION}\n    releaseUrl: ${urls.releaseUrl}\n    installScriptUrl: ${urls.installScriptUrl}\n${sets}`,
      );
      bundles[key] = (await pull(m, join(dir, 'b.tar'), [])).result.bundle;
    }
  });
  afterAll(async () => {
    await host?.stop();
    await reg?.stop();
  });

  const push = async (bundle: string, target: string, events: FerryEvent[] = []) => {
    const client = new RegistryClient({ plainHttp: true, credentials: staticCredentials(reg.host, 'enclave', 'pw-0f-enclave') });
    try {
      return await pushBundle({ bundlePath: bundle, target: parsePushTarget(target), client, events: (e) => events.push(e) });
    } finally {
      await client.close();
    }
  };
  const skopeo = async (...args: string[]) => (await sh('skopeo', [...args], { maxBuffer: 64 << 20 })).stdout;
  const creds = ['--tls-verify=false', '--creds', 'enclave:pw-0f-enclave'];

  it('pushes every image of the tarballs under its own name; skopeo reads them back in full', async () => {
    const r = await push(bundles.sets as string, reg.host);
    const expected = [...(release.sets.get('core') ?? []), ...(release.sets.get('calico') ?? [])]
      .map((i) => `${reg.host}/${i.ref.replace('docker.io/', '')}`)
      .sort();
    expect(r.images.map((i) => i.target).sort()).toEqual(expected);
    for (const image of r.images) {
      const raw = JSON.parse(await skopeo('inspect', '--raw', ...creds, `docker://${image.target}`));
      expect(raw.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      const inspected = JSON.parse(await skopeo('inspect', ...creds, `docker://${image.target}`));
      expect(inspected.Digest).toBe(image.digest);
      expect(inspected.Labels['test.ref']).toBe(image.source);
    }
    // A full copy out reads and checks every blob (skopeo verifies digests as it copies).
    const out = scratch();
    const etcd = r.images.find((i) => i.source.includes('hardened-etcd')) as { target: string };
    await skopeo('copy', '--src-tls-verify=false', '--src-creds', 'enclave:pw-0f-enclave', `docker://${etcd.target}`, `oci:${out}/etcd:x`);
  });

  it('is deterministic: the same images from another bundle (another archive format) land on the same digests, nothing is sent again', async () => {
    const first = await push(bundles.sets as string, reg.host);
    expect(first.images.every((i) => i.upToDate)).toBe(true);
    const events: FerryEvent[] = [];
    const aio = await push(bundles.aio as string, reg.host, events);
    const byTarget = new Map(first.images.map((i) => [i.target, i.digest]));
    const shared = aio.images.filter((i) => byTarget.has(i.target));
    expect(shared.length).toBe(3); // the core images; the all-in-one tarball is a classic docker save, core an OCI-layout one
    for (const i of shared) expect(i).toMatchObject({ digest: byTarget.get(i.target), upToDate: true });
    // Only canal's flannel image was new; its base layer was already in the registry (another repository), so it was mounted.
    const uploaded = events.filter((e) => e.type === 'blob' && e.action === 'uploaded');
    expect(uploaded.map((e) => (e as { repo: string }).repo)).toEqual(['rancher/hardened-flannel', 'rancher/hardened-flannel']);
  });

  it('an upload refused mid-pass is sent again in a second pass; a push that cannot complete sets no tag', async () => {
    const open = await startRegistry();
    const proxy = await startChaosProxy(open.url);
    const viaProxy = async (events: FerryEvent[]) => {
      const client = new RegistryClient({ plainHttp: true, baseDelayMs: 1 });
      try {
        return await pushBundle({
          bundlePath: bundles.sets as string,
          target: parsePushTarget(proxy.host),
          client,
          events: (e) => events.push(e),
        });
      } finally {
        await client.close();
      }
    };
    try {
      // Transient: the first PUT of a hardened-calico blob fails; the pass is run again for what is missing.
      proxy.rules.push({ method: 'PUT', path: /^\/v2\/rancher\/hardened-calico\/blobs\/uploads\//, times: 1, action: { status: 503 } });
      const events: FerryEvent[] = [];
      const r = await viaProxy(events);
      expect(events.some((e) => e.type === 'warning' && e.message.includes('upload pass 1 failed'))).toBe(true);
      const calico = r.images.find((i) => i.source.includes('hardened-calico')) as { digest: string };
      const inspected = JSON.parse(
        await skopeo('inspect', '--tls-verify=false', `docker://${open.host}/rancher/hardened-calico:v3.28.1-build20240806`),
      );
      expect(inspected.Digest).toBe(calico.digest);

      // Permanent: every upload into hardened-kubernetes fails in a fresh registry. Nothing may be tagged.
      const fresh = await startRegistry();
      const proxy2 = await startChaosProxy(fresh.url);
      proxy2.rules.push({
        method: 'PUT',
        path: /^\/v2\/rancher\/hardened-kubernetes\/blobs\/uploads\//,
        times: 1000,
        action: { status: 503 },
      });
      const client = new RegistryClient({ plainHttp: true, baseDelayMs: 1 });
      try {
        await expect(pushBundle({ bundlePath: bundles.sets as string, target: parsePushTarget(proxy2.host), client })).rejects.toThrow();
      } finally {
        await client.close();
        await proxy2.stop();
      }
      for (const image of [...(release.sets.get('core') ?? []), ...(release.sets.get('calico') ?? [])]) {
        const name = image.ref.replace('docker.io/', '');
        const res = await fetch(`${fresh.url}/v2/${name.replace(/:[^:]+$/, '')}/tags/list`);
        const tags = res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : [];
        expect(tags, name).toEqual([]);
      }
      await fresh.stop();
    } finally {
      await proxy.stop();
      await open.stop();
    }
  });

  it('a layer shared by images of one tarball and of another goes up once and is mounted into the rest (one ledger for the push)', async () => {
    const fresh = await startRegistry();
    const client = new RegistryClient({ plainHttp: true });
    const events: FerryEvent[] = [];
    try {
      await pushBundle({
        bundlePath: bundles.shared as string,
        target: parsePushTarget(fresh.host),
        client,
        events: (e) => events.push(e),
      });
    } finally {
      await client.close();
      await fresh.stop();
    }
    const blobs = (action: string) =>
      events.flatMap((e) => (e.type === 'blob' && e.action === action ? [{ digest: e.digest, repo: e.repo as string }] : []));
    const uploaded = blobs('uploaded');
    // Every blob goes up once: etcd, kubernetes and pause (core), flannel (canal), the base layer with the first of them.
    expect(uploaded.length).toBe(10);
    expect(new Set(uploaded.map((u) => u.digest)).size).toBe(uploaded.length);
    // The base layer (core and canal tarballs alike): uploaded into one repository, mounted into the two others.
    const mounted = blobs('mounted');
    expect(mounted.length).toBe(2);
    expect(new Set(mounted.map((m) => m.digest)).size).toBe(1);
    const base = uploaded.find((u) => u.digest === mounted[0]?.digest) as { repo: string };
    expect([base.repo, ...mounted.map((m) => m.repo)].sort()).toEqual([
      'rancher/hardened-etcd',
      'rancher/hardened-flannel',
      'rancher/hardened-kubernetes',
    ]);
  });

  it('honours a prefix, and a dry run lists the plan without pushing', async () => {
    const dry = await (async () => {
      const client = new RegistryClient({ plainHttp: true });
      try {
        return await pushBundle({
          bundlePath: bundles.sets as string,
          target: parsePushTarget(`${reg.host}/enclave`),
          client,
          dryRun: true,
        });
      } finally {
        await client.close();
      }
    })();
    expect(dry.plan.map((p) => `${p.repository}:${p.tag} ${p.archive}`)).toContain(
      'enclave/rancher/hardened-calico:v3.28.1-build20240806 rke2-images-calico.linux-amd64.tar.zst',
    );
    const r = await push(bundles.sets as string, `${reg.host}/enclave`);
    expect(r.images.every((i) => i.target.startsWith(`${reg.host}/enclave/rancher/`) && !i.upToDate)).toBe(true);
  });
});

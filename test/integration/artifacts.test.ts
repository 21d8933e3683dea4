import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Blob, type Image, seed } from '../helpers/images.js';
import { serveBundle } from '../../src/serve/serve-bundle.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'skopeo');
const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (
  mediaType: string,
  data: Buffer,
  annotations?: Record<string, string>,
): Blob & { data: Buffer; annotations?: Record<string, string> } => ({
  mediaType,
  digest: digestOf(data),
  size: data.length,
  data,
  ...(annotations ? { annotations } : {}),
});

/** An OCI artifact manifest built by hand (image-spec manifest.md "Guidelines for Artifact Usage"). */
function artifact(opts: {
  artifactType?: string;
  config: Blob & { data: Buffer };
  layers: (Blob & { annotations?: Record<string, string> })[];
}): Image {
  const desc = ({ mediaType, digest, size, annotations }: Blob & { annotations?: Record<string, string> }) => ({
    mediaType,
    digest,
    size,
    ...(annotations ? { annotations } : {}),
  });
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
      config: desc(opts.config),
      layers: opts.layers.map(desc),
    }),
  );
  return {
    manifest: blob('application/vnd.oci.image.manifest.v1+json', body),
    config: opts.config,
    layers: opts.layers,
    platform: { os: 'none', architecture: 'none' },
  };
}

const title = (t: string) => ({ 'org.opencontainers.image.title': t });

describe.runIf(ok)('spec.artifacts: raw OCI artifacts', () => {
  let up: TestRegistry;
  let down: TestRegistry;
  let thing: Image;
  let files: Image;
  let bundle: string;
  let lock: { artifacts: { ref: string; digest: string; mediaType: string; size: number; artifactType?: string }[] };
  const mirror = (): [string, string][] => [['registry.example', up.url]];

  beforeAll(async () => {
    [up, down] = await Promise.all([startRegistry(), startRegistry()]);
    const config = blob('application/vnd.acme.thing.config.v1+json', Buffer.from(JSON.stringify({ thing: 'acme', version: 1 })));
    thing = artifact({
      artifactType: 'application/vnd.acme.thing.v1',
      config,
      layers: [
        blob('application/vnd.acme.thing.layer.v1.tar', Buffer.from('acme thing payload '.repeat(500)), title('payload.tar')),
        blob('text/plain', Buffer.from('read me\n'), title('README.txt')),
      ],
    });
    // As ORAS pushes files: the empty config, the type said by artifactType.
    files = artifact({
      artifactType: 'application/vnd.acme.files.v1',
      config: blob('application/vnd.oci.empty.v1+json', Buffer.from('{}')),
      layers: [blob('text/plain', Buffer.from('hello from oras\n'), title('hello.txt'))],
    });
    await seed(up, 'acme/thing', '1.0', thing);
    await seed(up, 'acme/files', 'v2', files);
    const dir = scratch();
    const m = writeManifest(
      dir,
      `  artifacts:\n    - registry.example/acme/thing:1.0\n    - ref: registry.example/acme/files@${files.manifest.digest}\n`,
    );
    const { result } = await pull(m, join(dir, 'b.tar'), mirror());
    bundle = result.bundle;
    lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    expect(result.counts).toMatchObject({ images: 0, artifacts: 2 });
  });
  afterAll(async () => {
    await up?.stop();
    await down?.stop();
  });

  it('locks each artifact at its upstream manifest digest, with its artifactType', () => {
    expect(lock.artifacts).toEqual([
      {
        ref: `registry.example/acme/files@${files.manifest.digest}`,
        digest: files.manifest.digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        size: files.manifest.size,
        artifactType: 'application/vnd.acme.files.v1',
      },
      {
        ref: 'registry.example/acme/thing:1.0',
        digest: thing.manifest.digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        size: thing.manifest.size,
        artifactType: 'application/vnd.acme.thing.v1',
      },
    ]);
  });

  it('verifies, inspects (text and --json) and counts them', async () => {
    const v = await run(['bundle', 'verify', bundle]);
    expect(v.code, v.stderr).toBe(0);
    const j = await run(['bundle', 'inspect', bundle, '--json']);
    expect(j.code, j.stderr).toBe(0);
    const inspected = JSON.parse(j.stdout);
    expect(inspected.counts).toEqual({ images: 0, charts: 0, files: 0, rke2Files: 0, aptPackages: 0, artifacts: 2 });
    expect(inspected.artifacts).toContainEqual(
      expect.objectContaining({
        kind: 'artifact',
        ref: 'registry.example/acme/thing:1.0',
        digest: thing.manifest.digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.acme.thing.v1',
      }),
    );
    const t = await run(['bundle', 'inspect', bundle]);
    expect(t.stdout).toContain('2 artifacts');
    expect(t.stdout).toContain('application/vnd.oci.image.manifest.v1+json, artifact type application/vnd.acme.thing.v1');
    // Named for OCI tools only: containerd would import an entry it names as an image.
    const index = JSON.parse(execFileSync('tar', ['-xOf', bundle, 'index.json']).toString('utf8'));
    expect(index.manifests.map((d: { annotations: Record<string, string> }) => d.annotations)).toEqual([
      { 'org.opencontainers.image.ref.name': `registry.example/acme/files@${files.manifest.digest}`, 'dev.ferry.kind': 'artifact' },
      { 'org.opencontainers.image.ref.name': 'registry.example/acme/thing:1.0', 'dev.ferry.kind': 'artifact' },
    ]);
  });

  it('audits one row per artifact, vouched for by the registry', async () => {
    const dir = scratch();
    const a = await run(['bundle', 'audit', bundle, '--format', 'json', '-o', join(dir, 'audit.json')]);
    expect(a.code, a.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8'));
    expect(report.totals).toMatchObject({ artifacts: 2, ok: 2, failed: 0 });
    expect(report.rows.find((r: { name: string }) => r.name === 'registry.example/acme/thing:1.0')).toMatchObject({
      kind: 'artifact',
      source: 'registry.example/acme/thing:1.0',
      vouchedBy: `registry registry.example resolved registry.example/acme/thing:1.0 to ${thing.manifest.digest}`,
      expected: thing.manifest.digest,
      computed: thing.manifest.digest,
      result: 'ok',
    });
  });

  it('pushes like an image: host dropped, prefix applied, same digest for an independent consumer', async () => {
    const target = `${down.host}/mirror`;
    const dry = await run(['bundle', 'push', bundle, '--registry', target, '--plain-http', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    // The summary names what goes up by its kind: these are artifacts, not images.
    expect(dry.stdout).toMatch(/^plan: 2 artifacts to /m);
    expect(dry.stdout).toContain(`registry.example/acme/thing:1.0 → ${target}/acme/thing:1.0 (${thing.manifest.digest})`);
    expect(dry.stdout).toContain(`registry.example/acme/files@${files.manifest.digest} → ${target}/acme/files (${files.manifest.digest})`);
    const reportPath = join(scratch(), 'push.json');
    const pushed = await run(['bundle', 'push', bundle, '--registry', target, '--plain-http', '--no-progress', '--report', reportPath]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/^pushed 2 artifacts to /m);
    // push --report reads every tag back from the registry.
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    expect(report.registry.tags).toContainEqual(
      expect.objectContaining({
        source: 'registry.example/acme/thing:1.0',
        target: `${target}/acme/thing:1.0`,
        expected: thing.manifest.digest,
        result: 'ok',
      }),
    );
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${target}/acme/thing:1.0`]);
    expect(digestOf(raw)).toBe(thing.manifest.digest);
    for (const b of [thing.config, ...thing.layers]) {
      expect((await fetch(`${down.url}/v2/mirror/acme/thing/blobs/${b.digest}`)).status).toBe(200);
    }
    const byDigest = execFileSync('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${target}/acme/files@${files.manifest.digest}`,
    ]);
    expect(digestOf(byDigest)).toBe(files.manifest.digest);
  });

  it('is served like an image by bundle serve', async () => {
    const served = await serveBundle({ bundlePath: bundle, host: '127.0.0.1', port: 0 });
    try {
      expect(served.repositories).toEqual(['acme/files', 'acme/thing']);
      const byTag = await fetch(`${served.url}/v2/acme/thing/manifests/1.0`);
      expect(byTag.headers.get('docker-content-digest')).toBe(thing.manifest.digest);
      expect(digestOf(Buffer.from(await byTag.arrayBuffer()))).toBe(thing.manifest.digest);
      const layer = thing.layers[1] as Blob & { data: Buffer };
      expect(Buffer.from(await (await fetch(`${served.url}/v2/acme/thing/blobs/${layer.digest}`)).arrayBuffer()).equals(layer.data)).toBe(
        true,
      );
    } finally {
      await served.close();
    }
  });

  it('a tampered layer fails verify: a flipped byte, or a rewrite up to index.json against the lock', async () => {
    const dir = scratch();
    const layer = thing.layers[0] as Blob & { data: Buffer };
    const flipped = Buffer.from(layer.data);
    flipped[7] = (flipped[7] as number) ^ 0x01;
    const bytes = readFileSync(bundle);
    bytes[bytes.indexOf(layer.data) + 7] ^= 0x01;
    writeFileSync(join(dir, 'flipped.tar'), bytes);
    const raw = await run(['bundle', 'verify', join(dir, 'flipped.tar')]);
    expect(raw.code).toBe(3);
    expect(raw.stdout).toContain(layer.digest.slice(7));
    // Renamed to its new digest in every manifest up to index.json, the lock left as pulled: the pin check catches it.
    const lockBefore = new CraftedBundle(bundle).json('ferry.lock.json');
    const crafted = new CraftedBundle(bundle)
      .replaceBlob(layer.digest, flipped)
      .editJson('ferry.lock.json', (l) => Object.assign(l, lockBefore));
    const v = await run(['bundle', 'verify', crafted.write(join(dir, 'crafted.tar'))]);
    expect(v.code).toBe(3);
    expect(v.stdout).toMatch(/LOCK_MISMATCH .*artifact registry\.example\/acme\/thing:1\.0/);
  });

  it('--lock pulls the same bytes, and says what changed', async () => {
    const dir = scratch();
    const lockPath = join(dir, 'given.lock.json');
    execFileSync('cp', [`${bundle}.lock.json`, lockPath]);
    const m = writeManifest(
      dir,
      `  artifacts:\n    - registry.example/acme/thing:1.0\n    - ref: registry.example/acme/files@${files.manifest.digest}\n`,
    );
    const again = await pull(m, join(dir, 'again.tar'), mirror(), { lockPath });
    expect(readFileSync(again.result.bundle).equals(readFileSync(bundle))).toBe(true);
    const changed = writeManifest(dir, '  artifacts:\n    - registry.example/acme/thing:1.0\n    - registry.example/acme/other:1\n');
    await expect(pull(changed, join(dir, 'changed.tar'), mirror(), { lockPath })).rejects.toThrow(
      /artifact registry\.example\/acme\/other:1: in the manifest, not in the lock/,
    );
  });

  it('an OCI index is stored whole, every child, no platform selected', async () => {
    const dir = scratch();
    await seed(up, 'acme/set', 'thing', thing);
    await seed(up, 'acme/set', 'files', files);
    const desc = (i: Image) => ({
      mediaType: i.manifest.mediaType,
      digest: i.manifest.digest,
      size: i.manifest.size,
      artifactType: 'application/vnd.acme.part.v1',
    });
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        artifactType: 'application/vnd.acme.set.v1',
        manifests: [desc(thing), desc(files)],
      }),
    );
    const set = { manifest: blob('application/vnd.oci.image.index.v1+json', body), children: [], extra: [] };
    await seed(up, 'acme/set', '1', set);
    const { result } = await pull(writeManifest(dir, '  artifacts: [registry.example/acme/set:1]\n'), join(dir, 'set.tar'), mirror());
    const locked = JSON.parse(readFileSync(result.lockPath, 'utf8')).artifacts;
    expect(locked).toEqual([
      {
        ref: 'registry.example/acme/set:1',
        digest: set.manifest.digest,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        size: set.manifest.size,
        artifactType: 'application/vnd.acme.set.v1',
      },
    ]);
    const members = execFileSync('tar', ['-tf', result.bundle]).toString('utf8');
    for (const b of [set.manifest, thing.manifest, thing.config, ...thing.layers, files.manifest, files.config, ...files.layers])
      expect(members).toContain(b.digest.slice(7));
    expect((await run(['bundle', 'verify', result.bundle])).code).toBe(0);
  });

  it('a delta against the lock leaves out every blob of the upstream graphs the enclave holds (manifests travel)', async () => {
    const dir = scratch();
    const m = writeManifest(
      dir,
      `  artifacts:\n    - registry.example/acme/thing:1.0\n    - ref: registry.example/acme/files@${files.manifest.digest}\n`,
    );
    const delta = await pull(m, join(dir, 'delta.tar'), mirror(), { sincePath: `${bundle}.lock.json` });
    // Config and two layers of one, config and one layer of the other.
    expect(delta.result.omitted).toBe(5);
    expect((await run(['bundle', 'verify', delta.result.bundle])).code).toBe(0);
  });

  it('refuses a container image: images go in spec.images', async () => {
    const dir = scratch();
    const image = artifact({
      config: blob(
        'application/vnd.oci.image.config.v1+json',
        Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'),
      ),
      layers: [],
    });
    await seed(up, 'acme/image', '1', image);
    await expect(pull(writeManifest(dir, '  artifacts: [registry.example/acme/image:1]\n'), join(dir, 'b.tar'), mirror())).rejects.toThrow(
      /is a container image/,
    );
  });
});

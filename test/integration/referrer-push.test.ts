import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryEvent } from '../../src/core/events.js';
import type { Descriptor } from '../../src/core/media-types.js';
import { pushBundle } from '../../src/push/push-bundle.js';
import { RegistryClient } from '../../src/registry/client.js';
import { staticCredentials } from '../../src/registry/credentials.js';
import { parsePushTarget } from '../../src/registry/push-target.js';
import { type ServingBundle, serveBundle } from '../../src/serve/serve-bundle.js';
import { startChaosProxy } from '../helpers/chaos-proxy.js';
import { attestationLayer, blob, cosignKey, signatureLayer, simpleSigningPayload } from '../helpers/cosign-sign.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { makeImage, makeLayer, seed } from '../helpers/images.js';
import { ociReferrer, startReferrersFront } from '../helpers/oci-referrer.js';
import { type Carried, carried, upstreamIndex, lockEntry } from '../helpers/referrer-entries.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'htpasswd', 'skopeo');
const REPO = 'docker.io/velero/velero';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const ACCEPT = [OCI_INDEX, 'application/vnd.oci.image.manifest.v1+json'].join(', ');
const key = cosignKey();
const sh = promisify(execFile);

interface Reg {
  host: string;
  url: string;
  username?: string;
  password?: string;
}

const auth = (r: Reg): Record<string, string> =>
  r.username ? { authorization: `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}` } : {};
const get = (r: Reg, path: string, method = 'GET') => fetch(`${r.url}/v2/${path}`, { method, headers: { accept: ACCEPT, ...auth(r) } });
const tagsOf = async (r: Reg, repo = 'mirror/velero/velero'): Promise<string[]> =>
  (((await (await get(r, `${repo}/tags/list`)).json()) as { tags?: string[] }).tags ?? []).sort();

describe.runIf(ok)('bundle push of carried referrers to a real docker-registry 2.8', () => {
  let up: TestRegistry;
  let bundle: string;
  let image: Descriptor;
  let sig: Carried;
  let att: Carried;
  let sbom: Carried & { bytes: Buffer };
  let upstream: Carried & { digest: string };
  let hex: string;

  beforeAll(async () => {
    up = await startRegistry();
    await seed(up, 'velero/velero', 'v1', makeImage({ layers: [await makeLayer({ seed: 'referrer-push', size: 30_000 })] }));
    const dir = scratch();
    const plain = (await pull(writeManifest(dir, '  images: [velero/velero:v1]\n'), join(dir, 'b.tar'), [['docker.io', up.url]])).result
      .bundle;
    const b = new CraftedBundle(plain);
    image = b.indexEntry((d) => d.annotations['dev.ferry.kind'] === 'image');
    hex = image.digest.slice(7);
    sig = carried(image.digest, REPO, 'signature', [signatureLayer(key.privateKey, simpleSigningPayload(image.digest, REPO))]);
    att = carried(image.digest, REPO, 'attestation', [attestationLayer(key.privateKey, image.digest, 'https://slsa.dev/provenance/v1')]);
    const spdx = blob('application/spdx+json', Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'velero' })));
    sbom = ociReferrer(image, REPO, 'sbom', 'application/spdx+json', spdx);
    upstream = upstreamIndex(REPO, [{ mediaType: image.mediaType, digest: image.digest, size: image.size }]);
    bundle = b
      .addBlobs([...sig.blobs, ...att.blobs, ...sbom.blobs, ...upstream.blobs])
      .addIndexEntries([sig.entry, att.entry, sbom.entry, upstream.entry])
      .editJson('ferry.lock.json', (l) => (l.referrers = [sig, att, sbom, upstream].map((c) => lockEntry(c, 'docker.io/velero/velero:v1'))))
      .write(join(dir, 'carried.tar'));
  });
  afterAll(async () => up?.stop());

  /** Pushes the bundle to `reg` (through `via`, a front or proxy, when given) under the prefix `mirror`. */
  const pushTo = async (reg: Reg, via: { host: string } = reg, events: FerryEvent[] = []) => {
    const client = new RegistryClient({
      plainHttp: true,
      baseDelayMs: 5,
      ...(reg.username ? { credentials: staticCredentials(via.host, reg.username, reg.password as string) } : {}),
      events: (e) => events.push(e),
    });
    try {
      return await pushBundle({ bundlePath: bundle, target: parsePushTarget(`${via.host}/mirror`), client, events: (e) => events.push(e) });
    } finally {
      await client.close();
    }
  };

  it.each([
    ['without auth', undefined],
    ['with htpasswd', { username: 'ferry', password: 'r3ferrer-pw' }],
  ])(
    '%s: each referrer lands beside its image, with its tag and digest unchanged; the fallback index lists the OCI referrer',
    async (_, htpasswd) => {
      const down = await startRegistry(htpasswd ? { htpasswd } : {});
      try {
        const r = await pushTo(down);
        const base = `${down.host}/mirror/velero/velero`;
        expect(r.images.map((i) => [i.kind, i.target, i.digest, i.upToDate])).toEqual([
          ['image', `${base}:v1`, image.digest, false],
          ['referrer', `${base}:sha256-${hex}.sig`, sig.entry.digest, false],
          ['referrer', `${base}:sha256-${hex}.att`, att.entry.digest, false],
          ['referrer', `${base}@${sbom.entry.digest}`, sbom.entry.digest, false],
        ]);
        expect(r.plan.find((p) => p.kind === 'referrer')?.subject).toBe(image.digest);

        // skopeo reads the cosign tags' manifests back byte for byte (their digests are what the bundle carries).
        const creds = htpasswd ? ['--creds', `${htpasswd.username}:${htpasswd.password}`] : [];
        const raw = (tag: string) =>
          execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${base}:${tag}`]);
        expect(raw(`sha256-${hex}.sig`).equals(sig.blobs[0]?.bytes as Buffer)).toBe(true);
        expect(raw(`sha256-${hex}.att`).equals(att.blobs[0]?.bytes as Buffer)).toBe(true);

        // The plain distribution API: tags, the OCI referrer by digest, its layer, and the tag-schema index.
        expect(await tagsOf(down)).toEqual([`sha256-${hex}`, `sha256-${hex}.att`, `sha256-${hex}.sig`, 'v1']);
        const byDigest = await get(down, `mirror/velero/velero/manifests/${sbom.entry.digest}`);
        expect([byDigest.status, byDigest.headers.get('docker-content-digest')]).toEqual([200, sbom.entry.digest]);
        expect(Buffer.from(await byDigest.arrayBuffer()).equals(sbom.bytes)).toBe(true);
        const spdx = sbom.blobs[2] as { descriptor: Descriptor; bytes: Buffer };
        expect((await get(down, `mirror/velero/velero/blobs/${spdx.descriptor.digest}`)).status).toBe(200);
        const index = await get(down, `mirror/velero/velero/manifests/sha256-${hex}`);
        expect(index.headers.get('content-type')).toBe(OCI_INDEX);
        expect(await index.json()).toEqual({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: [
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: sbom.entry.digest,
              size: sbom.bytes.length,
              artifactType: 'application/spdx+json',
              annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
            },
          ],
        });
        expect(r.extras).toEqual([
          {
            kind: 'referrers tag index',
            target: `${base}:sha256-${hex}`,
            digest: expect.stringMatching(/^sha256:/),
            upToDate: false,
            for: [sbom.entry.digest],
          },
        ]);
        // The upstream index is carried for the signature policy only: never pushed.
        expect((await get(down, `mirror/velero/velero/manifests/${upstream.digest}`, 'HEAD')).status).toBe(404);
      } finally {
        await down.stop();
      }
    },
  );

  it('a second push is cheap and changes nothing: one HEAD per cosign tag, one per OCI referrer, one GET of its index', async () => {
    const down = await startRegistry();
    const proxy = await startChaosProxy(down.url);
    try {
      await pushTo(down, proxy);
      const before = await tagsOf(down);
      const index = Buffer.from(await (await get(down, `mirror/velero/velero/manifests/sha256-${hex}`)).arrayBuffer());
      proxy.log.length = 0;
      const again = await pushTo(down, proxy);
      const requests = proxy.log.map((l) => `${l.method} ${l.path.replace(/\?.*/, '')}`);
      expect(requests.filter((l) => !l.startsWith('HEAD') && !l.startsWith('GET'))).toEqual([]);
      const m = '/v2/mirror/velero/velero/manifests';
      expect(requests.filter((l) => !l.startsWith('GET /v2/ ') && l !== 'GET /v2/').sort()).toEqual(
        [
          `HEAD ${m}/v1`,
          `HEAD ${m}/sha256-${hex}.sig`,
          `HEAD ${m}/sha256-${hex}.att`,
          `HEAD ${m}/${sbom.entry.digest}`,
          `GET ${m}/sha256-${hex}`,
        ].sort(),
      );
      expect(again.images.every((i) => i.upToDate)).toBe(true);
      expect(again.extras.map((x) => x.upToDate)).toEqual([true]);
      expect(await tagsOf(down)).toEqual(before);
      const after = Buffer.from(await (await get(down, `mirror/velero/velero/manifests/sha256-${hex}`)).arrayBuffer());
      expect(after.equals(index)).toBe(true);
    } finally {
      await proxy.stop();
      await down.stop();
    }
  });

  it('an existing tag-schema index with another referrer keeps it, the carried one added after it', async () => {
    const down = await startRegistry();
    try {
      // Another client's referrer of the same image, in the repository, and listed in the index that client wrote.
      const otherType = 'application/vnd.example.scan+json';
      const other = ociReferrer(image, REPO, 'other', otherType, blob('application/json', Buffer.from('{"scan":1}')));
      for (const b of other.blobs.slice(1)) {
        const post = await fetch(`${down.url}/v2/mirror/velero/velero/blobs/uploads/`, { method: 'POST' });
        const loc = new URL(post.headers.get('location') as string);
        loc.searchParams.set('digest', b.descriptor.digest);
        expect((await fetch(loc, { method: 'PUT', body: new Uint8Array(b.bytes) })).status).toBe(201);
      }
      const put = (ref: string, type: string, body: Buffer | string) =>
        fetch(`${down.url}/v2/mirror/velero/velero/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': type }, body });
      expect((await put(other.entry.digest, other.entry.mediaType, other.bytes)).status).toBe(201);
      const listed = { mediaType: other.entry.mediaType, digest: other.entry.digest, size: other.bytes.length, artifactType: otherType };
      expect(
        (await put(`sha256-${hex}`, OCI_INDEX, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [listed] }))).status,
      ).toBe(201);

      await pushTo(down);
      const index = (await (await get(down, `mirror/velero/velero/manifests/sha256-${hex}`)).json()) as { manifests: Descriptor[] };
      expect(index.manifests.map((d) => [d.digest, d.artifactType])).toEqual([
        [listed.digest, otherType],
        [sbom.entry.digest, 'application/spdx+json'],
      ]);
    } finally {
      await down.stop();
    }
  });

  it('a push whose image tag is refused sets no referrer tag and no referrers index', async () => {
    const down = await startRegistry();
    const proxy = await startChaosProxy(down.url);
    proxy.rules.push({ method: 'PUT', path: /\/manifests\/v1$/, times: 100, action: { status: 400 } });
    try {
      await expect(pushTo(down, proxy)).rejects.toThrow(/velero\/velero:v1/);
      // The graphs are in (by digest), but no tag names a referrer, and the image has no tag either.
      expect((await get(down, `mirror/velero/velero/manifests/${sig.entry.digest}`, 'HEAD')).status).toBe(200);
      expect(await tagsOf(down)).toEqual([]);
      expect(proxy.log.some((l) => l.method === 'PUT' && l.path.includes('/manifests/sha256-'))).toBe(false);
    } finally {
      await proxy.stop();
      await down.stop();
    }
  });

  it('a registry with the referrers API (it answers OCI-Subject) gets no tag-schema index, on the first push or the next', async () => {
    const down = await startRegistry();
    const front = await startReferrersFront(down.url);
    try {
      const first = await pushTo(down, front);
      expect(first.extras).toEqual([]);
      expect(await tagsOf(down)).toEqual([`sha256-${hex}.att`, `sha256-${hex}.sig`, 'v1']);
      const listed = (await (await fetch(`${front.url}/v2/mirror/velero/velero/referrers/${image.digest}`)).json()) as {
        manifests: Descriptor[];
      };
      expect(listed.manifests.map((d) => d.digest)).toEqual([sbom.entry.digest]);

      front.log.length = 0;
      const again = await pushTo(down, front);
      expect(again.extras).toEqual([]);
      expect(again.images.every((i) => i.upToDate)).toBe(true);
      const m = '/v2/mirror/velero/velero';
      expect(front.log.filter((l) => l.path !== '/v2/').map((l) => `${l.method} ${l.path}`)).toEqual(
        expect.arrayContaining([`GET ${m}/manifests/sha256-${hex}`, `GET ${m}/referrers/${image.digest}`]),
      );
      expect(front.log.filter((l) => l.method !== 'GET' && l.method !== 'HEAD')).toEqual([]);
      expect(await tagsOf(down)).toEqual([`sha256-${hex}.att`, `sha256-${hex}.sig`, 'v1']);
    } finally {
      await front.stop();
      await down.stop();
    }
  });

  it('push --dry-run --json shows the referrers with their subjects, the upstream index not at all', async () => {
    const dry = await run(['bundle', 'push', bundle, '--registry', '127.0.0.1:1/mirror', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = (
      JSON.parse(dry.stdout) as { plan: { kind: string; source: string; repository: string; tag?: string; subject?: string }[] }
    ).plan;
    expect(plan.map((p) => [p.kind, p.repository, p.tag ?? null, p.subject ?? null])).toEqual([
      ['image', 'mirror/velero/velero', 'v1', null],
      ['referrer', 'mirror/velero/velero', `sha256-${hex}.sig`, image.digest],
      ['referrer', 'mirror/velero/velero', `sha256-${hex}.att`, image.digest],
      ['referrer', 'mirror/velero/velero', null, image.digest],
    ]);
    const text = await run(['bundle', 'push', bundle, '--registry', '127.0.0.1:1/mirror', '--dry-run']);
    expect(text.stdout).toMatch(/^plan: 1 image and 3 referrers to 127\.0\.0\.1:1,/m);
    expect(text.stdout).toContain(`, refers to ${image.digest}`);

    // The command itself: the bundle is verified first (the referrer entries pass), then pushed; --json names the index.
    const down = await startRegistry();
    try {
      const pushed = await run(['bundle', 'push', bundle, '--registry', `http://${down.host}/mirror`, '--json', '--no-progress']);
      expect(pushed.code, pushed.stderr).toBe(0);
      const out = JSON.parse(pushed.stdout) as { images: { kind: string }[]; extras: { kind: string; target: string }[] };
      expect(out.images.map((i) => i.kind)).toEqual(['image', 'referrer', 'referrer', 'referrer']);
      expect(out.extras.map((x) => [x.kind, x.target])).toEqual([
        ['referrers tag index', `${down.host}/mirror/velero/velero:sha256-${hex}`],
      ]);
      const again = await run(['bundle', 'push', bundle, '--registry', `http://${down.host}/mirror`, '--no-progress']);
      expect(again.stdout).toMatch(/^pushed 0 images to .* \(4 already up to date\)/m);
      expect(again.stdout).toContain(`${down.host}/mirror/velero/velero:sha256-${hex} `);
    } finally {
      await down.stop();
    }
  });

  describe('bundle serve', () => {
    let served: ServingBundle;
    beforeAll(async () => {
      served = await serveBundle({ bundlePath: bundle, host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => served?.close());

    it('skopeo reads the cosign tags; the referrers API and the tag-schema index list the OCI referrer', async () => {
      const s = { host: served.url.replace('http://', ''), url: served.url };
      // Not execFileSync: the served registry answers from this process.
      const raw = async (tag: string) =>
        (await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${s.host}/velero/velero:${tag}`], { encoding: 'buffer' }))
          .stdout;
      expect((await raw(`sha256-${hex}.sig`)).equals(sig.blobs[0]?.bytes as Buffer)).toBe(true);
      expect((await raw(`sha256-${hex}.att`)).equals(att.blobs[0]?.bytes as Buffer)).toBe(true);
      expect(await tagsOf(s, 'velero/velero')).toEqual([`sha256-${hex}`, `sha256-${hex}.att`, `sha256-${hex}.sig`, 'v1']);
      expect(Buffer.from(await (await get(s, `velero/velero/manifests/${sbom.entry.digest}`)).arrayBuffer()).equals(sbom.bytes)).toBe(true);

      const expected = {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sbom.entry.digest,
        size: sbom.bytes.length,
        artifactType: 'application/spdx+json',
        annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
      };
      const api = await get(s, `velero/velero/referrers/${image.digest}`);
      expect([api.status, api.headers.get('content-type'), api.headers.get('oci-filters-applied')]).toEqual([200, OCI_INDEX, null]);
      expect(await api.json()).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [expected] });
      const filtered = await get(s, `velero/velero/referrers/${image.digest}?artifactType=application/vnd.example`);
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
      expect(((await filtered.json()) as { manifests: unknown[] }).manifests).toEqual([]);
      const kept = await get(s, `velero/velero/referrers/${image.digest}?artifactType=application/spdx%2Bjson`);
      expect(((await kept.json()) as { manifests: unknown[] }).manifests).toEqual([expected]);
      const none = await get(s, `velero/velero/referrers/sha256:${'0'.repeat(64)}`);
      expect([none.status, ((await none.json()) as { manifests: unknown[] }).manifests]).toEqual([200, []]);

      const tagIndex = await raw(`sha256-${hex}`);
      expect(JSON.parse(tagIndex.toString('utf8'))).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [expected] });
      // The upstream index is not served.
      expect((await get(s, `velero/velero/manifests/${upstream.digest}`)).status).toBe(404);
    });
  });
});

import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryEvent } from '../../src/core/events.js';
import { isFerryError } from '../../src/core/errors.js';
import { cosignKey } from '../helpers/cosign-sign.js';
import { startChaosProxy } from '../helpers/chaos-proxy.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type Pushed, type SignedImage, type SignedImages, seedSignedImages } from '../helpers/signed-images.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry');

/** The index.json annotations the contract gives a carried referrer (docs/bundle-format.md "Referrers"). */
function annotations(img: SignedImage, subject: string, role: string, p: { digest: string; tag?: string }) {
  return {
    'dev.ferry.kind': 'referrer',
    'dev.ferry.referrer.subject': subject,
    'dev.ferry.referrer.role': role,
    'dev.ferry.referrer.via': p.tag || role === 'upstream-index' ? 'tag' : 'referrers',
    ...(p.tag ? { 'dev.ferry.referrer.tag': p.tag } : {}),
    'dev.ferry.source': img.repository,
    'org.opencontainers.image.ref.name': p.tag ? `${img.repository}:${p.tag}` : `${img.repository}@${p.digest}`,
  };
}

const referrerEntries = (bundle: string) =>
  (new CraftedBundle(bundle).json('index.json').manifests as { annotations: Record<string, string> }[]).filter(
    (d) => d.annotations['dev.ferry.kind'] === 'referrer',
  );
const members = (bundle: string) => new Set(execFileSync('tar', ['-tf', bundle], { encoding: 'utf8' }).trim().split('\n'));
const blobsOf = (p: Pushed) => p.blobs.map((b) => `blobs/sha256/${b.descriptor.digest.slice(7)}`);
/** Registry requests of a pull for one repository's referrers (tag list, cosign tags, referrers API, tag schema), as `METHOD path status`. */
const referrerRequests = (events: FerryEvent[], repo: string) =>
  events
    .filter(
      (e): e is Extract<FerryEvent, { type: 'http' }> =>
        e.type === 'http' && new RegExp(`/v2/${repo}/(manifests/sha256-|referrers/|tags/list)`).test(e.url),
    )
    .map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}`);

describe.runIf(ok)('referrers: pull carries signatures, attestations and SBOMs (docker-registry 2.8, tag-schema fallback)', () => {
  let up: TestRegistry;
  let s: SignedImages;
  const mirror = (): [string, string][] => [['docker.io', up.url]];
  const manifest = (dir: string, body: string) => writeManifest(dir, body);

  beforeAll(async () => {
    up = await startRegistry();
    s = await seedSignedImages(up);
  });
  afterAll(async () => {
    await up?.stop();
  });

  it('by default (signatures) carries the .sig and .att of each image, locked, with their blobs, and verify passes', async () => {
    const dir = scratch();
    const m = manifest(dir, '  images: [acme/app:v1, acme/plain:v1]\n');
    const { result, events } = await pull(m, join(dir, 'b.tar'), mirror());
    const { app } = s;
    const sig = app.sig as Pushed;
    const att = app.att as Pushed;
    expect(referrerEntries(result.bundle)).toEqual([
      expect.objectContaining({ digest: att.digest, size: att.size, annotations: annotations(app, app.digest, 'attestation', att) }),
      expect.objectContaining({ digest: sig.digest, size: sig.size, annotations: annotations(app, app.digest, 'signature', sig) }),
    ]);
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    const entry = (role: string, p: Pushed) => ({
      image: app.ref,
      subject: app.digest,
      repository: app.repository,
      role,
      via: 'tag',
      tag: p.tag,
      digest: p.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: p.size,
    });
    expect(lock.referrers).toEqual([entry('attestation', att), entry('signature', sig)]);
    const inBundle = members(result.bundle);
    for (const b of [...blobsOf(sig), ...blobsOf(att)]) expect(inBundle).toContain(b);
    expect(result.referrers).toBe(2);
    expect(result.counts.referrers).toBe(2);
    // The image without referrers costs two requests: its repository's tag list (which has none of its cosign or
    // tag-schema tags) and the referrers API probe (404: Debian's registry has none).
    expect(referrerRequests(events, 'acme/plain')).toEqual([
      'GET /v2/acme/plain/tags/list 200',
      `GET /v2/acme/plain/referrers/${s.plain.digest} 404`,
    ]);
    // The signed one: its two cosign tags and its tag-schema index (which lists only an SBOM, left out unread).
    const hex = app.digest.slice(7);
    expect(referrerRequests(events, 'acme/app').sort()).toEqual(
      [
        'GET /v2/acme/app/tags/list 200',
        `GET /v2/acme/app/referrers/${app.digest} 404`,
        `GET /v2/acme/app/manifests/sha256-${hex}.sig 200`,
        `GET /v2/acme/app/manifests/sha256-${hex}.att 200`,
        `GET /v2/acme/app/manifests/sha256-${hex} 200`,
      ].sort(),
    );
    const verify = await run(['bundle', 'verify', result.bundle, '--no-progress']);
    expect(verify.code, verify.stderr).toBe(0);
    const cli = await run(['bundle', 'pull', m, '-o', join(dir, 'cli.tar'), '--no-progress', '--mirror', `docker.io=${up.url}`]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^wrote .*cli\.tar \(.*\): 2 images, 2 referrers; \d+ blobs$/m);
    const inspect = await run(['bundle', 'inspect', result.bundle]);
    // inspect lists them under their image, not as entries of their own.
    const text = inspect.stdout;
    const at = text.indexOf(`  image docker.io/acme/app:v1`);
    expect(text.slice(at, text.indexOf('  image docker.io/acme/plain:v1'))).toContain(
      `\n        signature ${app.repository}:${sig.tag}\n          ${sig.digest} `,
    );
    expect(text).not.toMatch(/^ {2}referrer/m);
    // The bundle's SBOM ties each carried referrer to its image's component.
    const sbom = new CraftedBundle(result.bundle).json('sbom.cdx.json');
    const appComponent = sbom.components.find((c: { name: string }) => c.name === app.ref);
    expect(
      appComponent.externalReferences.map((r: { type: string; hashes?: { content: string }[] }) => [r.type, r.hashes?.[0]?.content]),
    ).toEqual(
      expect.arrayContaining([
        ['other', sig.digest.slice(7)],
        ['attestation', att.digest.slice(7)],
      ]),
    );
    // The audit report gives each carried referrer a row of its own, checked.
    const report = join(dir, 'audit.json');
    const audit = await run(['bundle', 'audit', result.bundle, '-o', report]);
    expect(audit.code, audit.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(report, 'utf8')).rows.filter((r: { kind: string }) => r.kind === 'referrer');
    expect(rows.map((r: { expected: string; result: string }) => [r.expected, r.result]).sort()).toEqual(
      [
        [att.digest, 'ok'],
        [sig.digest, 'ok'],
      ].sort(),
    );
    const json = JSON.parse((await run(['bundle', 'inspect', result.bundle, '--json'])).stdout);
    expect(json.artifacts.find((a: { digest: string }) => a.digest === sig.digest)).toMatchObject({
      kind: 'referrer',
      ref: `${app.repository}:${sig.tag}`,
      role: 'signature',
      via: 'tag',
      subject: app.digest,
      image: app.ref,
    });
  });

  it('all adds the SBOM found by the tag schema (via referrers, with its artifactType); none carries nothing', async () => {
    const dir = scratch();
    const { result } = await pull(manifest(dir, '  referrers: all\n  images: [acme/app:v1]\n'), join(dir, 'all.tar'), mirror());
    const sbom = s.app.sbom as Pushed & { artifactType: string };
    expect(referrerEntries(result.bundle).map((d) => d.annotations['dev.ferry.referrer.role'])).toEqual([
      'attestation',
      'sbom',
      'signature',
    ]);
    expect(referrerEntries(result.bundle)[1]).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sbom.digest,
      size: sbom.size,
      artifactType: sbom.artifactType,
      annotations: annotations(s.app, s.app.digest, 'sbom', sbom),
    });
    for (const b of blobsOf(sbom)) expect(members(result.bundle)).toContain(b);
    expect((await run(['bundle', 'verify', result.bundle, '--no-progress'])).code).toBe(0);

    const none = await pull(manifest(dir, '  referrers: none\n  images: [acme/app:v1]\n'), join(dir, 'none.tar'), mirror());
    expect(referrerEntries(none.result.bundle)).toEqual([]);
    expect(JSON.parse(readFileSync(none.result.lockPath, 'utf8'))).not.toHaveProperty('referrers');
    expect(referrerRequests(none.events, 'acme/app')).toEqual([]);
  });

  it('pull --lock fetches exactly the lock’s referrers into a byte-identical bundle, and says when the mode changed', async () => {
    const dir = scratch();
    const m = manifest(dir, '  referrers: all\n  images: [acme/app:v1, acme/plain:v1]\n');
    const first = await pull(m, join(dir, 'one.tar'), mirror());
    const lockPath = join(dir, 'given.lock.json');
    copyFileSync(first.result.lockPath, lockPath);
    const again = await pull(m, join(dir, 'two.tar'), mirror(), { lockPath, cacheDir: join(dir, 'other-cache') });
    expect(readFileSync(again.result.bundle).equals(readFileSync(first.result.bundle))).toBe(true);
    // No discovery on a --lock pull: the referrers are read by digest.
    expect(referrerRequests(again.events, 'acme/app')).toEqual([]);

    // diff names the referrers a bundle adds; a delta against the lock leaves out the referrer blobs the enclave has.
    const bare = await pull(
      manifest(scratch(), '  referrers: none\n  images: [acme/app:v1, acme/plain:v1]\n'),
      join(dir, 'bare.tar'),
      mirror(),
    );
    const diff = await run(['bundle', 'diff', bare.result.bundle, first.result.bundle]);
    expect(diff.code, diff.stderr).toBe(0);
    for (const p of [s.app.sig, s.app.att] as Pushed[])
      expect(diff.stdout).toContain(`  + referrer ${s.app.repository}:${p.tag} ${p.digest}`);
    expect(diff.stdout).toContain(`  + referrer ${s.app.repository}@${(s.app.sbom as Pushed).digest}`);
    const delta = await pull(m, join(dir, 'delta.tar'), mirror(), { sincePath: lockPath });
    const sigLayer = (s.app.sig as Pushed).blobs[2]?.descriptor.digest as string;
    expect(members(delta.result.bundle)).not.toContain(`blobs/sha256/${sigLayer.slice(7)}`);
    expect(members(delta.result.bundle)).toContain(`blobs/sha256/${(s.app.sig as Pushed).digest.slice(7)}`);
    expect((await run(['bundle', 'verify', delta.result.bundle, '--no-progress'])).code).toBe(0);

    const narrower = manifest(scratch(), '  images: [acme/app:v1, acme/plain:v1]\n');
    const err = await pull(narrower, join(dir, 'three.tar'), mirror(), { lockPath }).catch((e: unknown) => e);
    expect(isFerryError(err) && err.code).toBe('LOCK_MISMATCH');
    expect((err as Error).message).toContain(
      'referrers: the manifest asks for signatures (spec.referrers), the lock carries 1 sbom referrers it leaves out',
    );
  });

  it('spec.signatures: the right key passes the pull; another key fails it naming the image', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'team.pub'), s.publicPem);
    writeFileSync(join(dir, 'other.pub'), cosignKey().publicPem);
    const rule = (key: string) => `  images: [acme/app:v1]\n  signatures:\n    - images: "docker.io/acme/*"\n      key: ${key}\n`;
    const { result } = await pull(manifest(dir, rule('team.pub')), join(dir, 'signed.tar'), mirror());
    expect(new CraftedBundle(result.bundle).json('ferry-bundle.json').signatures.images).toEqual([
      expect.objectContaining({ image: s.app.ref, digest: s.app.digest, result: 'passed' }),
    ]);
    const err = await pull(manifest(dir, rule('other.pub')), join(dir, 'bad.tar'), mirror()).catch((e: unknown) => e);
    expect(isFerryError(err)).toBe(true);
    expect((err as Error).message).toContain(`${s.app.ref}@${s.app.digest}`);
  });

  it('a platform-filtered index carries its upstream index, the index signature and its kept child’s, and passes the policy', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'team.pub'), s.publicPem);
    const { multi } = s;
    const amd = multi.children.find((c) => c.platform === 'linux/amd64')?.digest as string;
    const arm = multi.children.find((c) => c.platform === 'linux/arm64')?.digest as string;
    const body =
      '  images:\n    - ref: acme/multi:v2\n      platforms: [linux/amd64]\n' +
      '  signatures:\n    - images: "docker.io/acme/*"\n      key: team.pub\n';
    const { result } = await pull(manifest(dir, body), join(dir, 'multi.tar'), mirror());
    const entries = referrerEntries(result.bundle);
    const bySubject = (d: string) =>
      entries.filter((e) => e.annotations['dev.ferry.referrer.subject'] === d).map((e) => e.annotations['dev.ferry.referrer.role']);
    expect(bySubject(multi.digest).sort()).toEqual(['signature', 'upstream-index']);
    expect(bySubject(amd)).toEqual(['signature']);
    expect(bySubject(arm)).toEqual([]);
    const up = entries.find((e) => e.annotations['dev.ferry.referrer.role'] === 'upstream-index') as unknown as {
      digest: string;
      annotations: Record<string, string>;
    };
    expect(up.digest).toBe(multi.digest);
    expect(up.annotations).toEqual(annotations(multi, multi.digest, 'upstream-index', { digest: multi.digest }));
    // The upstream index is held alone: the arm64 manifest it lists is not in the bundle, and the bundle is whole.
    expect(members(result.bundle)).not.toContain(`blobs/sha256/${arm.slice(7)}`);
    const verify = await run(['bundle', 'verify', result.bundle, '--no-progress']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(new CraftedBundle(result.bundle).json('ferry-bundle.json').signatures.images).toEqual([
      expect.objectContaining({ image: multi.ref, digest: multi.digest, result: 'passed' }),
    ]);
  });

  it('without a tag list (refused) each cosign and tag-schema tag is asked for; what exists is still carried', async () => {
    const proxy = await startChaosProxy(up.url);
    try {
      proxy.rules.push({ path: /\/tags\/list/, times: 100, action: { status: 403 } });
      const dir = scratch();
      const { result, events } = await pull(manifest(dir, '  images: [acme/app:v1, acme/plain:v1]\n'), join(dir, 'b.tar'), [
        ['docker.io', proxy.url],
      ]);
      expect(
        referrerEntries(result.bundle)
          .map((d) => d.annotations['org.opencontainers.image.ref.name'])
          .sort(),
      ).toEqual([`${s.app.repository}:${(s.app.sig as Pushed).tag}`, `${s.app.repository}:${(s.app.att as Pushed).tag}`].sort());
      const hex = s.plain.digest.slice(7);
      expect(referrerRequests(events, 'acme/plain').sort()).toEqual(
        [
          'GET /v2/acme/plain/tags/list 403',
          `GET /v2/acme/plain/manifests/sha256-${hex}.sig 404`,
          `GET /v2/acme/plain/manifests/sha256-${hex}.att 404`,
          `GET /v2/acme/plain/referrers/${s.plain.digest} 404`,
          `GET /v2/acme/plain/manifests/sha256-${hex} 404`,
        ].sort(),
      );
    } finally {
      await proxy.stop();
    }
  });

  it('a bundle carrying referrers pushes its images, and their signatures beside them', async () => {
    const down = await startRegistry();
    try {
      const dir = scratch();
      const { result } = await pull(manifest(dir, '  images: [acme/app:v1]\n'), join(dir, 'b.tar'), mirror());
      const pushed = await run(['bundle', 'push', result.bundle, '--registry', `${down.host}/enclave`, '--plain-http', '--no-progress']);
      expect(pushed.code, pushed.stderr).toBe(0);
      const got = await fetch(`${down.url}/v2/enclave/acme/app/manifests/v1`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(got.headers.get('docker-content-digest')).toBe(s.app.digest);
      const sig = await fetch(`${down.url}/v2/enclave/acme/app/manifests/${s.app.sig?.tag}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(sig.headers.get('docker-content-digest')).toBe(s.app.sig?.digest);
    } finally {
      await down.stop();
    }
  });

  it('an image with no referrers still pulls, with no referrer entries and no lock key', async () => {
    const dir = scratch();
    const { result } = await pull(manifest(dir, '  images: [acme/plain:v1]\n'), join(dir, 'plain.tar'), mirror());
    expect(referrerEntries(result.bundle)).toEqual([]);
    expect(JSON.parse(readFileSync(result.lockPath, 'utf8'))).not.toHaveProperty('referrers');
    expect(result).not.toHaveProperty('referrers');
    expect((await run(['bundle', 'verify', result.bundle, '--no-progress'])).code).toBe(0);
  });
});

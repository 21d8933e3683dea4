import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosignKey } from '../helpers/cosign-sign.js';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type Pushed, SBOM_TYPE, type SignedImages, seedSignedImages } from '../helpers/signed-images.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'skopeo');
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * The whole way across the gap, as a user runs it: pull signed images (cosign tags and an OCI 1.1 SBOM referrer,
 * from a real docker-registry 2.8), verify the bundle against the policy offline, push it into a second registry,
 * and read what landed with tools other than ferry (skopeo, plain distribution-API reads); then pull again from the
 * enclave registry with the same policy, so the signatures that crossed still verify where they arrived.
 */
describe.runIf(ok)('supply chain across the gap: pull, verify --policy, push, read back', () => {
  let up: TestRegistry;
  let down: TestRegistry;
  let s: SignedImages;
  let dir: string;
  let bundle: string;
  const policy = '  signatures:\n    - images: "docker.io/acme/*"\n      key: team.pub\n';
  const images = '  images:\n    - acme/app:v1\n    - ref: acme/multi:v2\n      platforms: [linux/amd64]\n';

  beforeAll(async () => {
    up = await startRegistry();
    down = await startRegistry();
    s = await seedSignedImages(up);
    dir = scratch();
    writeFileSync(join(dir, 'team.pub'), s.publicPem);
    const m = writeManifest(dir, `${images}  referrers: all\n${policy}`);
    bundle = (await pull(m, join(dir, 'signed.tar'), [['docker.io', up.url]])).result.bundle;
  });
  afterAll(async () => {
    await up?.stop();
    await down?.stop();
  });

  it('verify --policy re-checks the carried signatures offline from the bundle alone', async () => {
    const v = await run(['bundle', 'verify', bundle, '--policy', join(dir, 'bundle.yaml'), '--no-progress']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout + v.stderr).toContain(`${s.app.ref}@${s.app.digest}`);
    // Another key's policy fails it, naming the image.
    const other = scratch();
    writeFileSync(join(other, 'team.pub'), cosignKey().publicPem);
    const bad = await run(['bundle', 'verify', bundle, '--policy', writeManifest(other, `${images}${policy}`), '--no-progress']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/docker\.io\/acme\/(app|multi)/);
  });

  it('push lands each referrer in the enclave registry: skopeo reads the cosign tags with their digests unchanged', async () => {
    const pushed = await run(['bundle', 'push', bundle, '--registry', `${down.host}/enclave`, '--plain-http', '--no-progress']);
    expect(pushed.code, pushed.stderr).toBe(0);
    const raw = (repo: string, tag: string) =>
      execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${down.host}/enclave/${repo}:${tag}`]);
    const { app, multi } = s;
    expect(sha(raw('acme/app', app.sig?.tag as string))).toBe(app.sig?.digest);
    expect(sha(raw('acme/app', app.att?.tag as string))).toBe(app.att?.digest);
    // The kept platform child's own signature, under its tag; the index signature too (its subject stays upstream).
    const amd = multi.children.find((c) => c.platform === 'linux/amd64')?.digest as string;
    const childSig = multi.childSigs.get(amd) as Pushed;
    expect(sha(raw('acme/multi', childSig.tag as string))).toBe(childSig.digest);
    expect(sha(raw('acme/multi', multi.sig?.tag as string))).toBe(multi.sig?.digest);
    // The OCI 1.1 SBOM referrer: by digest, and listed in the tag-schema index docker-registry 2.8 needs.
    const sbom = app.sbom as NonNullable<typeof app.sbom>;
    const byDigest = await fetch(`${down.url}/v2/enclave/acme/app/manifests/${sbom.digest}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(byDigest.status).toBe(200);
    expect(sha(Buffer.from(await byDigest.arrayBuffer()))).toBe(sbom.digest);
    const index = JSON.parse(raw('acme/app', `sha256-${app.digest.slice(7)}`).toString('utf8'));
    expect(index.manifests).toEqual([expect.objectContaining({ digest: sbom.digest, artifactType: SBOM_TYPE })]);
    // The upstream index the amd64 image was cut from is carried for the policy, never pushed.
    const head = await fetch(`${down.url}/v2/enclave/acme/multi/manifests/${multi.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(404);
  });

  it('a pull from the enclave registry with the same policy passes: the signatures crossed intact', async () => {
    const again = scratch();
    writeFileSync(join(again, 'team.pub'), s.publicPem);
    const ref = `${down.host}/enclave/acme/app:v1`;
    const enclavePolicy = `  signatures:\n    - images: "${down.host}/enclave/acme/*"\n      key: team.pub\n`;
    const m = writeManifest(again, `  images: [${ref}]\n  referrers: all\n${enclavePolicy}`);
    const { result } = await pull(m, join(again, 'back.tar'), [], { client: { plainHttp: true } });
    const signatures = new CraftedBundle(result.bundle).json('ferry-bundle.json').signatures;
    expect(signatures.images).toEqual([expect.objectContaining({ image: ref, digest: s.app.digest, result: 'passed' })]);
    const carried = (
      new CraftedBundle(result.bundle).json('index.json').manifests as { digest: string; annotations: Record<string, string> }[]
    )
      .filter((d) => d.annotations['dev.ferry.kind'] === 'referrer')
      .map((d) => d.digest)
      .sort();
    expect(carried).toEqual([s.app.sig?.digest, s.app.att?.digest, s.app.sbom?.digest].sort());
  });
});

import { referrerManifest } from './oci-referrer.js';
import { sha256 } from '../../src/core/digest.js';
import {
  type Blob,
  type TestKey,
  attestationLayer,
  blob,
  cosignKey,
  signatureLayer,
  signatureManifest,
  simpleSigningPayload,
} from './cosign-sign.js';
import { type Image, type Index, makeImage, makeIndex, makeLayer, seed } from './images.js';
import type { TestRegistry } from './registry.js';

/**
 * A real registry (Debian's docker-registry 2.8, test/helpers/registry.ts) seeded with images and their referrers
 * as cosign and an OCI 1.1 client write them there: a `.sig` tag (simple-signing payload, ECDSA P-256 signature in
 * the `dev.cosignproject.cosign/signature` annotation), an `.att` tag (an in-toto statement in a DSSE envelope), and
 * an SPDX SBOM pushed by digest with `subject` and `artifactType`, plus the tag-schema index `sha256-<hex>` a client
 * maintains against a registry without the referrers API (distribution-spec "Referrers Tag Schema"; 2.8 has none).
 */
export const SBOM_TYPE = 'application/spdx+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface Pushed {
  digest: string;
  size: number;
  /** The tag it is under (a cosign tag), when it has one. */
  tag?: string;
  /** Every blob of it: its manifest, config and layers. */
  blobs: Blob[];
}

export interface SignedImage {
  /** Repository path in the registry (`acme/app`) and the image's full reference as a manifest names it. */
  repo: string;
  tag: string;
  ref: string;
  /** `docker.io/acme/app`: the repository as the lock and index.json name it. */
  repository: string;
  /** The upstream root (manifest or index). */
  digest: string;
  /** Its platform children, for an index. */
  children: { platform: string; digest: string }[];
  sig?: Pushed;
  att?: Pushed;
  sbom?: Pushed & { artifactType: string; fallbackTag: string };
  /** Signatures on platform children, by child digest. */
  childSigs: Map<string, Pushed>;
}

export interface SignedImages {
  key: TestKey;
  publicPem: string;
  /** A single-platform image with a `.sig`, an `.att` and an SBOM referrer. */
  app: SignedImage;
  /** A linux/amd64 + linux/arm64 index, signed as the index, and its amd64 child signed too. */
  multi: SignedImage;
  /** An image with no referrers at all. */
  plain: SignedImage;
}

async function put(reg: TestRegistry, repo: string, ref: string, mediaType: string, bytes: Buffer): Promise<void> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: new Uint8Array(bytes),
  });
  if (res.status !== 201) throw new Error(`signed-images ${repo}:${ref} → ${res.status} ${await res.text()}`);
}

async function pushBlob(reg: TestRegistry, repo: string, b: Blob): Promise<void> {
  const post = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (post.status !== 202) throw new Error(`signed-images ${repo}: POST upload → ${post.status}`);
  const loc = new URL(post.headers.get('location') as string, reg.url);
  loc.searchParams.set('digest', b.descriptor.digest);
  const res = await fetch(loc, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(b.bytes) });
  if (res.status !== 201) throw new Error(`signed-images ${repo}: PUT blob → ${res.status} ${await res.text()}`);
}

/** A manifest over `layers` (and `config`), its blobs first, then the manifest under `ref` (a tag or its digest). */
async function pushManifest(reg: TestRegistry, repo: string, ref: string | undefined, manifest: object, blobs: Blob[]): Promise<Pushed> {
  for (const b of blobs) await pushBlob(reg, repo, b);
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(bytes);
  await put(reg, repo, ref ?? digest, OCI_MANIFEST, bytes);
  const self = blob(OCI_MANIFEST, bytes);
  return { digest, size: bytes.length, ...(ref ? { tag: ref } : {}), blobs: [self, ...blobs] };
}

/** `cosign sign --key`: the `.sig` tag of `subject` in `repo`, signing `dockerReference`. */
export async function cosignSignature(
  reg: TestRegistry,
  repo: string,
  subject: string,
  dockerReference: string,
  key: TestKey,
): Promise<Pushed> {
  const layer = signatureLayer(key.privateKey, simpleSigningPayload(subject, dockerReference));
  const m = signatureManifest([layer]);
  return pushManifest(reg, repo, `sha256-${subject.slice(7)}.sig`, m.manifest, [m.config, layer]);
}

/** `cosign attest --key`: the `.att` tag of `subject`, an in-toto statement in a DSSE envelope. */
export async function cosignAttestation(reg: TestRegistry, repo: string, subject: string, key: TestKey): Promise<Pushed> {
  const layer = attestationLayer(key.privateKey, subject, 'https://slsa.dev/provenance/v1');
  const m = signatureManifest([layer]);
  return pushManifest(reg, repo, `sha256-${subject.slice(7)}.att`, m.manifest, [m.config, layer]);
}

/**
 * An OCI 1.1 referrer (an SPDX SBOM with `subject` and `artifactType`, the empty config) pushed by digest, and the
 * tag-schema index `sha256-<hex>` listing it, as a client must write it when the registry returns no OCI-Subject.
 */
export async function sbomReferrer(reg: TestRegistry, repo: string, subject: { digest: string; size: number; mediaType: string }) {
  const doc = blob(SBOM_TYPE, Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: `sbom of ${subject.digest}` })));
  const { manifest, config } = referrerManifest(subject, SBOM_TYPE, doc);
  const pushed = await pushManifest(reg, repo, undefined, manifest, [config, doc]);
  const fallbackTag = `sha256-${subject.digest.slice(7)}`;
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{ mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.size, artifactType: SBOM_TYPE }],
  };
  await put(reg, repo, fallbackTag, OCI_INDEX, Buffer.from(JSON.stringify(index)));
  return { ...pushed, artifactType: SBOM_TYPE, fallbackTag };
}

const rootOf = (x: Image | Index) => ({ digest: x.manifest.digest, size: x.manifest.size, mediaType: x.manifest.mediaType });

/** Seeds `reg` with the three images of SignedImages (as `docker.io/acme/…` through a mirror), signed by `key`. */
export async function seedSignedImages(reg: TestRegistry, key: TestKey = cosignKey()): Promise<SignedImages> {
  const image = (repo: string, tag: string, x: Image | Index): SignedImage => ({
    repo,
    tag,
    ref: `docker.io/${repo}:${tag}`,
    repository: `docker.io/${repo}`,
    digest: x.manifest.digest,
    children:
      'children' in x
        ? x.children.map((c) => ({ platform: `${c.platform.os}/${c.platform.architecture}`, digest: c.image.manifest.digest }))
        : [],
    childSigs: new Map(),
  });

  const appImage = makeImage({ layers: [await makeLayer({ seed: 'signed-app', size: 30_000 })], label: 'app' });
  await seed(reg, 'acme/app', 'v1', appImage);
  const app = image('acme/app', 'v1', appImage);
  app.sig = await cosignSignature(reg, app.repo, app.digest, app.repository, key);
  app.att = await cosignAttestation(reg, app.repo, app.digest, key);
  app.sbom = await sbomReferrer(reg, app.repo, rootOf(appImage));

  const amd = makeImage({ layers: [await makeLayer({ seed: 'signed-amd64', size: 20_000 })], label: 'amd64' });
  const arm = makeImage({
    layers: [await makeLayer({ seed: 'signed-arm64', size: 20_000 })],
    platform: { os: 'linux', architecture: 'arm64' },
    label: 'arm64',
  });
  const multiIndex = makeIndex({ children: [amd, arm] });
  await seed(reg, 'acme/multi', 'v2', multiIndex);
  const multi = image('acme/multi', 'v2', multiIndex);
  multi.sig = await cosignSignature(reg, multi.repo, multi.digest, multi.repository, key);
  multi.childSigs.set(amd.manifest.digest, await cosignSignature(reg, multi.repo, amd.manifest.digest, multi.repository, key));
  multi.childSigs.set(arm.manifest.digest, await cosignSignature(reg, multi.repo, arm.manifest.digest, multi.repository, key));

  const plainImage = makeImage({ layers: [await makeLayer({ seed: 'unsigned', size: 10_000 })], label: 'plain' });
  await seed(reg, 'acme/plain', 'v1', plainImage);
  const plain = image('acme/plain', 'v1', plainImage);

  return { key, publicPem: key.publicPem, app, multi, plain };
}

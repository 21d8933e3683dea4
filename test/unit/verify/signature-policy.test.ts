import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { sha256 } from '../../../src/core/digest.js';
import { isFerryError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/core/media-types.js';
import type { SignatureRule } from '../../../src/trust/cosign/policy.js';
import { checkBundleSignatures, enforceBundleSignatures, type PolicyInput } from '../../../src/verify/signature-policy.js';
import { recordOf } from '../../../src/verify/signature-record.js';
import {
  attestationLayer,
  type Blob,
  blob,
  cosignKey,
  fulcioLeaf,
  MemoryBlobs,
  signatureLayer,
  simpleSigningPayload,
  type TestCa,
  testCa,
  trustedRoot,
} from '../../helpers/cosign-sign.js';
import { type Carried, carried, upstreamIndex } from '../../helpers/referrer-entries.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-policy-'));
const REPO = 'docker.io/velero/velero';
const IMAGE = `${REPO}:v1.14.0`;
const team = cosignKey();
const stranger = cosignKey();
let keyPath: string;
let fulcio: TestCa;
let rootPath: string;

beforeAll(() => {
  mkdirSync(join(dir, 'keys'));
  keyPath = join(dir, 'keys', 'velero.pub');
  writeFileSync(keyPath, team.publicPem);
  fulcio = testCa(dir, 'fulcio');
  rootPath = join(dir, 'keys', 'trusted_root.json');
  writeFileSync(rootPath, trustedRoot([{ ca: fulcio }]));
});

const keyRule = (): SignatureRule => ({ images: 'docker.io/velero/*', key: keyPath });

/** An image manifest blob and its index.json entry, as the image kind writes it. */
function image(label: string, ref = IMAGE, platforms?: { upstream: string }): { entry: Descriptor; blob: Blob } {
  const b = blob('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify({ schemaVersion: 2, label })));
  const annotations: Record<string, string> = {
    'io.containerd.image.name': ref,
    'org.opencontainers.image.ref.name': ref,
    'dev.ferry.kind': 'image',
    ...(platforms ? { 'dev.ferry.upstream-digest': platforms.upstream } : {}),
    'dev.ferry.platforms': 'linux/amd64',
  };
  return { entry: { ...b.descriptor, annotations }, blob: b };
}

function bundle(entries: Descriptor[], carriedList: Carried[], blobs: Blob[], rules: SignatureRule[]): PolicyInput {
  const store = new MemoryBlobs([...blobs, ...carriedList.flatMap((c) => c.blobs)]);
  return { index: [...entries, ...carriedList.map((c) => c.entry)], blobs: store, rules };
}

const sigFor = (digest: string, key = team.privateKey, names = digest) =>
  carried(digest, REPO, 'signature', [signatureLayer(key, simpleSigningPayload(names, REPO))]);

async function failure(input: PolicyInput) {
  try {
    await enforceBundleSignatures(input);
  } catch (err) {
    if (isFerryError(err)) return err;
    throw err;
  }
  throw new Error('expected the policy to fail');
}

describe('the signature policy over a bundle', () => {
  it('a valid signature passes; the record names the key by file and fingerprint and what was checked', async () => {
    const img = image('a');
    const att = carried(img.entry.digest, REPO, 'attestation', [
      attestationLayer(team.privateKey, img.entry.digest, 'https://slsa.dev/provenance/v1'),
    ]);
    const events: string[] = [];
    const input = {
      ...bundle([img.entry], [sigFor(img.entry.digest), att], [img.blob], [keyRule()]),
      events: (e: { type: string; message?: string }) => e.message && events.push(e.message),
    };
    const outcomes = await enforceBundleSignatures(input);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ image: IMAGE, digest: img.entry.digest, ok: true });
    expect(events).toEqual([
      `signature policy: ${IMAGE}@${img.entry.digest}: key ${keyPath}: signed (sha256-${img.entry.digest.slice(7)}.sig), attests https://slsa.dev/provenance/v1`,
    ]);
    const record = await recordOf(outcomes, dir);
    const der = (await import('node:crypto')).createPublicKey(team.publicPem).export({ type: 'spki', format: 'der' });
    expect(record.images[0]).toMatchObject({
      image: IMAGE,
      result: 'passed',
      rules: [{ images: 'docker.io/velero/*', signer: { key: { file: 'keys/velero.pub', fingerprint: sha256(der) } }, result: 'passed' }],
    });
    expect(record.images[0]?.rules[0]?.checks.map((c) => `${c.kind} ${c.ok}`)).toEqual(['signature true', 'attestation true']);
    // Deterministic: the same inputs give the same record.
    expect(JSON.stringify(await recordOf(await checkBundleSignatures(input), dir))).toBe(JSON.stringify(record));
  });

  it('an OCI 1.1 referrer counts as a signature too, named by its digest', async () => {
    const img = image('b');
    const ref = carried(
      img.entry.digest,
      REPO,
      'signature',
      [signatureLayer(team.privateKey, simpleSigningPayload(img.entry.digest, REPO))],
      'referrers',
    );
    const [o] = await enforceBundleSignatures(bundle([img.entry], [ref], [img.blob], [keyRule()]));
    expect(o?.rules[0]?.checks[0]?.source).toBe(`referrer ${ref.entry.digest}`);
  });

  it('missing: SIGNATURE_MISSING naming the image and the key, exit 3', async () => {
    const img = image('c');
    const err = await failure(bundle([img.entry], [], [img.blob], [keyRule()]));
    expect(err.code).toBe('SIGNATURE_MISSING');
    expect(err.message).toBe(`${IMAGE}@${img.entry.digest}: no signature found (required by key ${keyPath})`);
    expect(exitCodeFor(err.code)).toBe(3);
  });

  it('a signature carried for another image does not count', async () => {
    const img = image('d');
    const other = image('other', `${REPO}:v2`);
    const err = await failure(bundle([img.entry], [sigFor(other.entry.digest)], [img.blob], [keyRule()]));
    expect(err.code).toBe('SIGNATURE_MISSING');
  });

  it('another key: SIGNATURE_INVALID naming the image, the key and the reason', async () => {
    const img = image('e');
    const err = await failure(bundle([img.entry], [sigFor(img.entry.digest, stranger.privateKey)], [img.blob], [keyRule()]));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      `${IMAGE}@${img.entry.digest}: no valid signature by key ${keyPath}: signature made by another key, or over another payload`,
    );
  });

  it('a payload naming another digest: SIGNATURE_INVALID saying so', async () => {
    const img = image('f');
    const elsewhere = sha256('another manifest');
    const err = await failure(bundle([img.entry], [sigFor(img.entry.digest, team.privateKey, elsewhere)], [img.blob], [keyRule()]));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(
      `${IMAGE}@${img.entry.digest}: no valid signature by key ${keyPath}: the signed payload names another digest`,
    );
  });

  it('an image no rule matches needs nothing, and is recorded as not required', async () => {
    const img = image('g', 'docker.io/library/busybox:1');
    const outcomes = await enforceBundleSignatures(bundle([img.entry], [], [img.blob], [keyRule()]));
    expect((await recordOf(outcomes, dir)).images).toEqual([
      { image: 'docker.io/library/busybox:1', digest: img.entry.digest, result: 'not required', rules: [] },
    ]);
  });

  it('keyless: the identity is checked against the trusted root and recorded with it', async () => {
    const img = image('h');
    const leaf = fulcioLeaf(dir, fulcio, {
      issuer: 'https://token.actions.githubusercontent.com',
      san: 'https://github.com/vmware-tanzu/velero/.github/workflows/release.yml@refs/tags/v1.14.0',
    });
    const sig = carried(img.entry.digest, REPO, 'signature', [
      signatureLayer(leaf.privateKey, simpleSigningPayload(img.entry.digest, REPO), { 'dev.sigstore.cosign/certificate': leaf.certPem }),
    ]);
    const rule: SignatureRule = {
      images: 'docker.io/velero/**',
      keyless: { issuer: 'https://token.actions.githubusercontent.com', subject: 'https://github.com/vmware-tanzu/.*' },
      trustedRoot: rootPath,
    };
    const outcomes = await enforceBundleSignatures(bundle([img.entry], [sig], [img.blob], [rule]));
    const r = (await recordOf(outcomes, dir)).images[0]?.rules[0];
    expect(r?.signer.identity).toMatchObject({
      issuer: rule.keyless.issuer,
      subject: rule.keyless.subject,
      trustedRoot: 'keys/trusted_root.json',
    });
    const wrong = { ...rule, keyless: { ...rule.keyless, subject: 'https://github.com/someone-else/.*' } };
    const err = await failure(bundle([img.entry], [sig], [img.blob], [wrong]));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain('certificate subject mismatch');
  });
});

describe('a platform-filtered image', () => {
  const child = (label: string, arch: string) => ({
    ...blob('application/vnd.oci.image.manifest.v1+json', Buffer.from(label)).descriptor,
    platform: { os: 'linux', architecture: arch },
  });
  const amd = child('amd64 manifest', 'amd64');
  const arm = child('arm64 manifest', 'arm64');
  const s390 = child('s390x manifest', 's390x');

  /** The kept index (amd64, arm64 of an upstream index), its entry naming the upstream digest. */
  function filtered(upstream: string, kept: Descriptor[]) {
    const b = blob('application/vnd.oci.image.index.v1+json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: kept })));
    const annotations = {
      'org.opencontainers.image.ref.name': IMAGE,
      'dev.ferry.kind': 'image',
      'dev.ferry.upstream-digest': upstream,
    };
    return { entry: { ...b.descriptor, annotations }, blob: b };
  }

  it('passes when the signed upstream index lists every kept child', async () => {
    const up = upstreamIndex(REPO, [amd, arm, s390]);
    const img = filtered(up.digest, [amd, arm]);
    const [o] = await enforceBundleSignatures(bundle([img.entry], [sigFor(up.digest), up], [img.blob], [keyRule()]));
    expect(o).toMatchObject({
      digest: up.digest,
      held: img.entry.digest,
      ok: true,
      platforms: `2 kept platform manifests listed in the signed upstream index ${up.digest}`,
    });
  });

  it('one platform kept (the child itself in place of the index) is tied the same way', async () => {
    const up = upstreamIndex(REPO, [amd, arm]);
    const entry = {
      ...amd,
      platform: undefined,
      annotations: { 'org.opencontainers.image.ref.name': IMAGE, 'dev.ferry.kind': 'image', 'dev.ferry.upstream-digest': up.digest },
    };
    const [o] = await enforceBundleSignatures(bundle([entry], [sigFor(up.digest), up], [], [keyRule()]));
    expect(o?.platforms).toBe(`1 kept platform manifests listed in the signed upstream index ${up.digest}`);
  });

  it('fails, naming the child, when the upstream index does not list a kept child', async () => {
    const up = upstreamIndex(REPO, [amd, s390]);
    const img = filtered(up.digest, [amd, arm]);
    const err = await failure(bundle([img.entry], [sigFor(up.digest), up], [img.blob], [keyRule()]));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      `${IMAGE}@${up.digest}: the signature (by key ${keyPath}) is on the upstream index, but the kept platform manifest ${arm.digest} is not listed in the signed upstream index ${up.digest}; pull the image again`,
    );
  });

  it('fails when the bundle carries no upstream index', async () => {
    const up = upstreamIndex(REPO, [amd, arm]);
    const img = filtered(up.digest, [amd, arm]);
    const err = await failure(bundle([img.entry], [sigFor(up.digest)], [img.blob], [keyRule()]));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(`carries no upstream index ${up.digest}`);
  });

  it('fails when the upstream-index entry is another index than the signed one', async () => {
    const up = upstreamIndex(REPO, [amd, arm]);
    const other = upstreamIndex(REPO, [amd, arm, s390]);
    const img = filtered(up.digest, [amd, arm]);
    const swapped = {
      ...other,
      entry: { ...other.entry, annotations: { ...other.entry.annotations, 'dev.ferry.referrer.subject': up.digest } },
    };
    const err = await failure(bundle([img.entry], [sigFor(up.digest), swapped], [img.blob], [keyRule()]));
    expect(err.message).toContain(`the bundle's upstream-index entry is ${other.digest}, not the signed ${up.digest}`);
  });

  it('a signature on the kept (filtered) digest instead of the upstream one does not count', async () => {
    const up = upstreamIndex(REPO, [amd, arm]);
    const img = filtered(up.digest, [amd, arm]);
    const err = await failure(bundle([img.entry], [sigFor(img.entry.digest), up], [img.blob], [keyRule()]));
    expect(err.code).toBe('SIGNATURE_MISSING');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../../src/core/digest.js';
import { isFerryError } from '../../../../src/core/errors.js';
import { exitCodeFor } from '../../../../src/cli/exit-codes.js';
import type { KeyRule, SignatureRule } from '../../../../src/trust/cosign/policy.js';
import { checkImageSignatures, enforceImageSignatures, type ImageSignatureInput } from '../../../../src/trust/cosign/verify-image.js';
import {
  attestationLayer,
  type Blob,
  cosignKey,
  cosignSign,
  type KeyType,
  MemoryBlobs,
  signatureLayer,
  signatureManifest,
  simpleSigningPayload,
} from '../../../helpers/cosign-sign.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-cosign-'));
const IMAGE = 'docker.io/velero/velero:v1.14.0';
const DIGEST = sha256('the velero image manifest');
const OTHER = sha256('another image manifest');

function keyFile(pem: string): string {
  const path = join(dir, `${sha256(pem).slice(7, 19)}.pub`);
  writeFileSync(path, pem);
  return path;
}

function input(layers: Blob[], blobs = new MemoryBlobs(layers)): ImageSignatureInput {
  const m = signatureManifest(layers);
  return {
    image: IMAGE,
    digest: DIGEST,
    candidates: layers.length ? [{ source: `sha256-${DIGEST.slice(7)}.sig`, manifest: m.manifest }] : [],
    blobs,
  };
}

async function failure(inp: ImageSignatureInput, rules: SignatureRule[]) {
  try {
    await enforceImageSignatures(inp, rules);
  } catch (err) {
    if (isFerryError(err)) return err;
    throw err;
  }
  throw new Error('expected the policy to fail');
}

describe.each<KeyType>(['ec', 'ed25519'])('cosign key signatures (%s)', (type) => {
  const signer = cosignKey(type);
  const rules: KeyRule[] = [{ images: 'docker.io/velero/*', key: keyFile(signer.publicPem) }];

  it('passes a valid signature and says what was checked', async () => {
    const out = await enforceImageSignatures(
      input([signatureLayer(signer.privateKey, simpleSigningPayload(DIGEST, 'docker.io/velero/velero'))]),
      rules,
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      ok: true,
      signer: `key ${rules[0]!.key}`,
      checks: [{ kind: 'signature', ok: true, detail: `signs ${DIGEST} as docker.io/velero/velero` }],
    });
  });

  it('fails a missing signature with SIGNATURE_MISSING, exit 3', async () => {
    const err = await failure(input([]), rules);
    expect(err.code).toBe('SIGNATURE_MISSING');
    expect(err.message).toBe(`${IMAGE}@${DIGEST}: no signature found (required by key ${rules[0]!.key})`);
    expect(exitCodeFor(err.code)).toBe(3);
  });

  it('fails a signature made by another key', async () => {
    const other = cosignKey(type);
    const err = await failure(input([signatureLayer(other.privateKey, simpleSigningPayload(DIGEST, 'docker.io/velero/velero'))]), rules);
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      `${IMAGE}@${DIGEST}: no valid signature by key ${rules[0]!.key}: signature made by another key, or over another payload`,
    );
    expect(exitCodeFor(err.code)).toBe(3);
  });

  it('fails a signature whose payload names another digest', async () => {
    const err = await failure(input([signatureLayer(signer.privateKey, simpleSigningPayload(OTHER, 'docker.io/velero/velero'))]), rules);
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(`the signed payload names another digest (${OTHER}, not ${DIGEST})`);
  });

  it('fails a tampered payload: other bytes under the same layer digest, or a re-described layer', async () => {
    const layer = signatureLayer(signer.privateKey, simpleSigningPayload(DIGEST, 'docker.io/velero/velero'));
    const swapped = new MemoryBlobs();
    swapped.add(layer, Buffer.from(layer.bytes.toString().replace('velero/velero', 'velero/evil0x')));
    expect((await failure(input([layer], swapped), rules)).message).toContain(
      `the payload does not match its layer digest ${layer.descriptor.digest} (tampered)`,
    );
    const edited = Buffer.from(layer.bytes.toString().replace('velero/velero', 'velero/evil0x'));
    const forged: Blob = { descriptor: { ...layer.descriptor, digest: sha256(edited), size: edited.length }, bytes: edited };
    expect((await failure(input([forged]), rules)).message).toContain('signature made by another key, or over another payload');
  });

  it('fails a signed payload of another type', async () => {
    const err = await failure(
      input([signatureLayer(signer.privateKey, simpleSigningPayload(DIGEST, 'x', 'atomic container signature'))]),
      rules,
    );
    expect(err.message).toContain('the signed payload\'s type is "atomic container signature", not "cosign container image signature"');
  });

  it('passes when one of several signatures verifies, and reports the others', async () => {
    const other = cosignKey(type);
    const out = await enforceImageSignatures(
      input([
        signatureLayer(other.privateKey, simpleSigningPayload(DIGEST, 'a')),
        signatureLayer(signer.privateKey, simpleSigningPayload(DIGEST, 'b')),
      ]),
      rules,
    );
    expect(out[0]!.checks.map((c) => c.ok)).toEqual([false, true]);
  });

  it('verifies a DSSE attestation with the same key, but an attestation alone does not satisfy the rule', async () => {
    const att = attestationLayer(signer.privateKey, DIGEST);
    const [outcome] = await checkImageSignatures(input([att]), rules);
    expect(outcome!.checks).toEqual([
      {
        source: expect.any(String),
        layer: att.descriptor.digest,
        kind: 'attestation',
        ok: true,
        detail: 'attests https://cyclonedx.org/bom',
      },
    ]);
    expect(outcome!.error?.code).toBe('SIGNATURE_MISSING');
    const [byOther] = await checkImageSignatures(input([attestationLayer(cosignKey(type).privateKey, DIGEST)]), rules);
    expect(byOther!.checks[0]).toMatchObject({ ok: false, detail: 'no signature of the attestation verifies with this key' });
    const [aboutOther] = await checkImageSignatures(input([attestationLayer(signer.privateKey, OTHER)]), rules);
    expect(aboutOther!.checks[0]).toMatchObject({ ok: false, detail: `the attestation's subjects do not include ${DIGEST}` });
  });
});

describe('rule matching', () => {
  const signer = cosignKey();
  const sig = () => signatureLayer(signer.privateKey, simpleSigningPayload(DIGEST, IMAGE));

  it('an image no rule matches needs no signature', async () => {
    expect(await enforceImageSignatures(input([]), [{ images: 'quay.io/prometheus/*', key: keyFile(signer.publicPem) }])).toEqual([]);
  });

  it('every matching rule must pass', async () => {
    const other = cosignKey();
    const rules: KeyRule[] = [
      { images: 'docker.io/velero/*', key: keyFile(signer.publicPem) },
      { images: 'docker.io/**', key: keyFile(other.publicPem) },
    ];
    const out = await checkImageSignatures(input([sig()]), rules);
    expect(out.map((o) => o.ok)).toEqual([true, false]);
    expect((await failure(input([sig()]), rules)).message).toContain(`by key ${rules[1]!.key}`);
  });

  it('a bad signature annotation is reported, not thrown', async () => {
    const layer = signatureLayer(
      signer.privateKey,
      simpleSigningPayload(DIGEST, IMAGE),
      {},
      cosignSign(signer.privateKey, Buffer.from('x')),
    );
    const err = await failure(input([layer]), [{ images: 'docker.io/velero/velero', key: keyFile(signer.publicPem) }]);
    expect(err.code).toBe('SIGNATURE_INVALID');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../../src/core/digest.js';
import { isFerryError } from '../../../../src/core/errors.js';
import { certificateIdentity } from '../../../../src/trust/cosign/keyless.js';
import type { KeylessRule } from '../../../../src/trust/cosign/policy.js';
import { enforceImageSignatures, type ImageSignatureInput } from '../../../../src/trust/cosign/verify-image.js';
import {
  attestationLayer,
  type Blob,
  fulcioLeaf,
  MemoryBlobs,
  signatureLayer,
  signatureManifest,
  simpleSigningPayload,
  type TestCa,
  testCa,
  testIntermediate,
  trustedRoot,
} from '../../../helpers/cosign-sign.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-keyless-'));
const IMAGE = 'quay.io/prometheus/prometheus:v3.0.0';
const DIGEST = sha256('the prometheus image manifest');
const ISSUER = 'https://token.actions.githubusercontent.com';
const SAN = 'https://github.com/prometheus/prometheus/.github/workflows/release.yml@refs/tags/v3.0.0';

let fulcio: TestCa;
let rogue: TestCa;
let rootPath: string;

beforeAll(() => {
  fulcio = testCa(dir, 'fulcio');
  rogue = testCa(dir, 'rogue');
  rootPath = join(dir, 'trusted_root.json');
  writeFileSync(rootPath, trustedRoot([{ ca: fulcio }]));
});

const rule = (over: Partial<KeylessRule['keyless']> = {}, root?: string): KeylessRule => ({
  images: 'quay.io/prometheus/*',
  keyless: { issuer: ISSUER, subject: 'https://github.com/prometheus/.*', ...over },
  trustedRoot: root ?? rootPath,
});

function keylessSignature(ca: TestCa, opts: { issuer?: string; san?: string; legacyIssuer?: boolean; digest?: string } = {}): Blob {
  const leaf = fulcioLeaf(dir, ca, {
    issuer: opts.issuer ?? ISSUER,
    san: opts.san ?? SAN,
    ...(opts.legacyIssuer ? { legacyIssuer: true } : {}),
  });
  return signatureLayer(leaf.privateKey, simpleSigningPayload(opts.digest ?? DIGEST, 'quay.io/prometheus/prometheus'), {
    'dev.sigstore.cosign/certificate': leaf.certPem,
    'dev.sigstore.cosign/chain': ca.cert.toString(),
  });
}

function input(layers: Blob[]): ImageSignatureInput {
  return {
    image: IMAGE,
    digest: DIGEST,
    candidates: [{ source: 'sha256-x.sig', manifest: signatureManifest(layers).manifest }],
    blobs: new MemoryBlobs(layers),
  };
}

async function failure(inp: ImageSignatureInput, rules: KeylessRule[]) {
  try {
    await enforceImageSignatures(inp, rules);
  } catch (err) {
    if (isFerryError(err)) return err;
    throw err;
  }
  throw new Error('expected the policy to fail');
}

const who = `identity issuer=${ISSUER} subject=https://github.com/prometheus/.*`;

describe('keyless (Fulcio certificate) signatures against a trusted root', () => {
  it('passes a valid signature', async () => {
    const out = await enforceImageSignatures(input([keylessSignature(fulcio)]), [rule()]);
    expect(out[0]).toMatchObject({ ok: true, signer: who });
  });

  it('reads the issuer from the legacy extension too, and the SAN', () => {
    const leaf = fulcioLeaf(dir, fulcio, { issuer: ISSUER, san: SAN, legacyIssuer: true });
    expect(certificateIdentity(new X509Certificate(leaf.certPem))).toEqual({ issuer: ISSUER, subjects: [SAN] });
  });

  it('passes with the legacy issuer extension', async () => {
    await expect(enforceImageSignatures(input([keylessSignature(fulcio, { legacyIssuer: true })]), [rule()])).resolves.toHaveLength(1);
  });

  it('fails a certificate of another issuer', async () => {
    const err = await failure(input([keylessSignature(fulcio, { issuer: 'https://accounts.google.com' })]), [rule()]);
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      `${IMAGE}@${DIGEST}: no valid signature by ${who}: certificate issuer mismatch: https://accounts.google.com, not ${ISSUER}`,
    );
  });

  it('fails a certificate of another subject; the subject regex is anchored', async () => {
    const err = await failure(input([keylessSignature(fulcio, { san: 'https://github.com/evil/prometheus/x.yml@refs/heads/main' })]), [
      rule(),
    ]);
    expect(err.message).toContain(
      'certificate subject mismatch: https://github.com/evil/prometheus/x.yml@refs/heads/main does not match https://github.com/prometheus/.*',
    );
    const prefixOnly = await failure(input([keylessSignature(fulcio)]), [rule({ subject: 'https://github.com/prometheus' })]);
    expect(prefixOnly.message).toContain('certificate subject mismatch');
  });

  it('fails a certificate from another CA, even with that CA in its own chain annotation', async () => {
    const err = await failure(input([keylessSignature(rogue)]), [rule()]);
    expect(err.message).toContain('the certificate was not issued by a certificate authority of the trusted root');
  });

  it('fails when the trusted root says its CA was not valid when the certificate was issued', async () => {
    const old = join(dir, 'expired_root.json');
    writeFileSync(old, trustedRoot([{ ca: fulcio, start: new Date('2020-01-01T00:00:00Z'), end: new Date('2021-01-01T00:00:00Z') }]));
    const err = await failure(input([keylessSignature(fulcio)]), [rule({}, old)]);
    expect(err.message).toMatch(/the certificate authority .*fulcio was not valid when the certificate was issued/);
  });

  it('passes a certificate from an intermediate CA chained to the root, and fails when the root is not the issuer', async () => {
    const inter = testIntermediate(dir, fulcio, 'fulcio-intermediate');
    const chained = join(dir, 'chained_root.json');
    writeFileSync(chained, trustedRoot([{ ca: inter, parents: [fulcio] }]));
    await expect(enforceImageSignatures(input([keylessSignature(inter)]), [rule({}, chained)])).resolves.toHaveLength(1);
    const broken = join(dir, 'broken_root.json');
    writeFileSync(broken, trustedRoot([{ ca: inter, parents: [rogue] }]));
    const err = await failure(input([keylessSignature(inter)]), [rule({}, broken)]);
    expect(err.message).toContain("the trusted root's certificate chain is broken");
  });

  it('fails a valid certificate over a payload naming another digest', async () => {
    const err = await failure(input([keylessSignature(fulcio, { digest: sha256('other') })]), [rule()]);
    expect(err.message).toContain('the signed payload names another digest');
  });

  it('fails a signature without a certificate (a key signature) under a keyless rule', async () => {
    const leaf = fulcioLeaf(dir, fulcio, { issuer: ISSUER, san: SAN });
    const err = await failure(input([signatureLayer(leaf.privateKey, simpleSigningPayload(DIGEST, IMAGE))]), [rule()]);
    expect(err.message).toContain('has no dev.sigstore.cosign/certificate annotation');
  });

  it('verifies a keyless DSSE attestation with the certificate key', async () => {
    const leaf = fulcioLeaf(dir, fulcio, { issuer: ISSUER, san: SAN });
    const att = attestationLayer(leaf.privateKey, DIGEST, 'https://slsa.dev/provenance/v1', {
      'dev.sigstore.cosign/certificate': leaf.certPem,
    });
    const out = await enforceImageSignatures(input([att, keylessSignature(fulcio)]), [rule()]);
    expect(out[0]!.checks.map((c) => [c.kind, c.ok, c.detail])).toEqual([
      ['attestation', true, 'attests https://slsa.dev/provenance/v1'],
      ['signature', true, `signs ${DIGEST} as quay.io/prometheus/prometheus`],
    ]);
  });
});

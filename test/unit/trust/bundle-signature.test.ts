import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkSignature,
  generateSigningKey,
  keyFingerprint,
  readPrivateKey,
  readPublicKey,
  signSums,
} from '../../../src/trust/bundle-signature.js';
import { tempDir } from '../bundle/fixtures.js';

const alice = generateSigningKey();
const bob = generateSigningKey();
const aliceKey = readPrivateKey(alice.privatePem, 'alice.key');
const alicePub = readPublicKey(alice.publicPem, 'alice.pub');
const bobPub = readPublicKey(bob.publicPem, 'bob.pub');
const sums = Buffer.from(`${'a'.repeat(64)}  index.json\n`);
const tampered = Buffer.from(`${'b'.repeat(64)}  index.json\n`);
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The envelope ferry wrote before it carried the public key (signatureVersion 1). */
function oldEnvelope(body: Buffer): Buffer {
  const v1 = {
    signatureVersion: 1,
    algorithm: 'ed25519',
    signed: { file: 'SHA256SUMS', sha256: hex(body) },
    keyFingerprint: alice.fingerprint,
    created: '2026-01-01T00:00:00.000Z',
    tool: 'ferry 0.1.0',
    signature: sign(null, body, aliceKey).toString('base64'),
  };
  return Buffer.from(`${JSON.stringify(v1, null, 2)}\n`);
}

const edit = (sig: Buffer, f: (o: Record<string, unknown>) => void): Buffer => {
  const o = JSON.parse(sig.toString()) as Record<string, unknown>;
  f(o);
  return Buffer.from(JSON.stringify(o));
};

describe('bundle signature envelope', () => {
  it("carries the signer's public key (PEM SPKI) and its fingerprint", () => {
    const env = JSON.parse(signSums(sums, aliceKey, 'ferry test').toString());
    expect(env).toMatchObject({
      signatureVersion: 2,
      algorithm: 'ed25519',
      keyFingerprint: alice.fingerprint,
      signed: { file: 'SHA256SUMS', sha256: hex(sums) },
    });
    expect(keyFingerprint(createPublicKey(env.publicKey))).toBe(alice.fingerprint);
  });

  it('without a key: consistent → unchecked (cannot be trusted), copied onto another SHA256SUMS → invalid', () => {
    const sig = signSums(sums, aliceKey, 'ferry test');
    expect(checkSignature(sig, sums, undefined)).toMatchObject({
      status: 'unchecked',
      consistent: true,
      keyFingerprint: alice.fingerprint,
    });
    // The attack: SHA256SUMS recomputed after tampering, the real bundle's signature copied in.
    const copied = checkSignature(sig, tampered, undefined);
    expect(copied).toMatchObject({ status: 'invalid', keyFingerprint: alice.fingerprint });
    expect(copied.status === 'invalid' && copied.reason).toMatch(
      new RegExp(`for a SHA256SUMS with sha256 ${hex(sums)}, this bundle's is ${hex(tampered)}`),
    );
    // … and with the signed sha256 edited to match, the Ed25519 signature itself fails.
    const relabelled = edit(sig, (o) => ((o.signed as { sha256: string }).sha256 = hex(tampered)));
    expect(checkSignature(relabelled, tampered, undefined)).toMatchObject({
      status: 'invalid',
      reason: expect.stringMatching(/does not match SHA256SUMS/),
    });
  });

  it('refuses an embedded key that does not match the fingerprint, or is not Ed25519', () => {
    const sig = signSums(sums, aliceKey, 'ferry test');
    const swapped = edit(sig, (o) => (o.publicKey = bob.publicPem));
    expect(checkSignature(swapped, sums, undefined)).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/fingerprint/) });
    const junk = edit(sig, (o) => (o.publicKey = 'not a key'));
    expect(checkSignature(junk, sums, undefined)).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/public key/) });
    expect(checkSignature(sig, undefined, undefined)).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/no SHA256SUMS/) });
  });

  it('with --key: the embedded key must be the given key', () => {
    const sig = signSums(sums, aliceKey, 'ferry test');
    expect(checkSignature(sig, sums, alicePub)).toMatchObject({ status: 'valid', keyFingerprint: alice.fingerprint });
    expect(checkSignature(sig, sums, bobPub)).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/not by the given key/) });
    // Bob re-signs Alice's SHA256SUMS but keeps Alice's fingerprint: the embedded key gives him away.
    const bobKey = readPrivateKey(bob.privatePem, 'bob.key');
    const forged = edit(signSums(sums, bobKey, 'x'), (o) => (o.keyFingerprint = alice.fingerprint));
    expect(checkSignature(forged, sums, alicePub)).toMatchObject({ status: 'invalid' });
    expect(checkSignature(forged, sums, undefined)).toMatchObject({ status: 'invalid' });
  });

  it('reads the old envelope: unchecked and not consistency-checked without --key, checked with it', () => {
    const sig = oldEnvelope(sums);
    expect(checkSignature(sig, sums, undefined)).toMatchObject({
      status: 'unchecked',
      consistent: false,
      keyFingerprint: alice.fingerprint,
    });
    expect(checkSignature(sig, sums, alicePub)).toMatchObject({ status: 'valid' });
    expect(checkSignature(oldEnvelope(sums), tampered, alicePub)).toMatchObject({ status: 'invalid' });
    expect(checkSignature(sig, sums, bobPub)).toMatchObject({ status: 'invalid' });
  });

  it('stays verifiable with openssl pkeyutl -rawin, with the team key or the key it carries', () => {
    const dir = tempDir('ferry-sig-');
    const sig = signSums(sums, aliceKey, 'ferry test');
    const env = JSON.parse(sig.toString());
    writeFileSync(join(dir, 'SHA256SUMS'), sums);
    writeFileSync(join(dir, 'sig.bin'), Buffer.from(env.signature, 'base64'));
    writeFileSync(join(dir, 'team.pub'), alice.publicPem);
    writeFileSync(join(dir, 'embedded.pem'), env.publicKey);
    writeFileSync(join(dir, 'bob.pub'), bob.publicPem);
    const verify = (pub: string, data = 'SHA256SUMS') =>
      execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', data, '-sigfile', 'sig.bin'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    expect(verify('team.pub')).toContain('Signature Verified Successfully');
    expect(verify('embedded.pem')).toContain('Signature Verified Successfully');
    expect(() => verify('bob.pub')).toThrow();
    writeFileSync(join(dir, 'tampered'), tampered);
    expect(() => verify('team.pub', 'tampered')).toThrow();
  });
});

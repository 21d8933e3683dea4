import { createHash, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSha256Sums } from '../../../src/bundle/sha256sums.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import type { FerryEvent } from '../../../src/core/events.js';
import { generateSigningKey, readPrivateKey, readPublicKey, signSums } from '../../../src/trust/bundle-signature.js';
import { verifyBundle } from '../../../src/verify/verify-bundle.js';
import { type RawEntry, rawEntries, rawTar, sampleBundle, tempDir } from '../bundle/fixtures.js';

const team = generateSigningKey();
const other = generateSigningKey();
const teamKey = readPrivateKey(team.privatePem, 'team.key');
const teamPub = readPublicKey(team.publicPem, 'team.pub');
const otherPub = readPublicKey(other.publicPem, 'other.pub');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The envelope ferry wrote before it carried the public key. */
const oldEnvelope = (sums: Buffer) =>
  Buffer.from(
    JSON.stringify({
      signatureVersion: 1,
      algorithm: 'ed25519',
      signed: { file: 'SHA256SUMS', sha256: hex(sums) },
      keyFingerprint: team.fingerprint,
      created: '2026-01-01T00:00:00.000Z',
      tool: 'ferry 0.1.0',
      signature: sign(null, sums, teamKey).toString('base64'),
    }),
  );

async function signedBundle(envelope: (sums: Buffer) => Buffer = (s) => signSums(s, teamKey, 'ferry test')) {
  const path = join(tempDir('ferry-sig-'), 'b.tar');
  const { opts } = sampleBundle(path);
  await writeBundle({ ...opts, signSums: envelope });
  return path;
}

/**
 * What an attacker without the key can do: change members, recompute SHA256SUMS over them, and put the real bundle's
 * SHA256SUMS.sig back in its place.
 */
function tamper(path: string, mutate: (e: RawEntry[]) => RawEntry[]): string {
  const [, sig, ...rest] = rawEntries(readFileSync(path)) as [RawEntry, RawEntry, ...RawEntry[]];
  expect(sig[0]).toBe('SHA256SUMS.sig');
  const entries = mutate(rest);
  const sums = formatSha256Sums(entries.map(([p, b]) => ({ path: p, hex: hex(b) })));
  const out = `${path}.tampered.tar`;
  writeFileSync(out, rawTar([['SHA256SUMS', sums], sig, ...entries]));
  return out;
}

const warningsOf = (events: FerryEvent[]) => events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
const changeLock = (e: RawEntry[]) =>
  e.map(([p, b]): RawEntry => [p, p === 'ferry.lock.json' ? Buffer.from(b.toString().replace('sample', 'evil!')) : b]);

describe('verify: the bundle signature', () => {
  it('without --key, an intact signature is a warning naming the fingerprint: it cannot be trusted', async () => {
    const events: FerryEvent[] = [];
    const res = await verifyBundle(await signedBundle(), { events: (e) => events.push(e) });
    expect(res).toMatchObject({
      ok: true,
      problems: [],
      signature: { status: 'unchecked', consistent: true, keyFingerprint: team.fingerprint },
    });
    expect(warningsOf(events)).toEqual([`the bundle is signed by a key it cannot trust (fingerprint ${team.fingerprint}): give --key`]);
  });

  it('a signature copied onto a tampered bundle (SHA256SUMS recomputed) fails without --key, before anything else is read', async () => {
    const bad = tamper(await signedBundle(), changeLock);
    for (const opts of [{}, { publicKey: teamPub }]) {
      const res = await verifyBundle(bad, opts);
      expect(res.ok).toBe(false);
      expect(res.signature).toMatchObject({ status: 'invalid', keyFingerprint: team.fingerprint });
      expect(res.problems).toEqual([
        expect.objectContaining({
          path: 'SHA256SUMS.sig',
          code: 'SIGNATURE_INVALID',
          message: expect.stringMatching(/is for a SHA256SUMS with sha256 [0-9a-f]{64}, this bundle's is/),
        }),
      ]);
      // The pass stopped after SHA256SUMS and its signature: the members after them were not read, let alone parsed.
      expect(res.entries).toBe(2);
      expect(res.bytes).toBeLessThan(readFileSync(bad).length);
    }
  });

  it('a foreign signature stops the pass before the metadata is parsed: no MALFORMED index.json, only the signature', async () => {
    const bad = tamper(await signedBundle(), (e) =>
      e.map(([p, b]): RawEntry => [p, p === 'index.json' || p === 'oci-layout' ? Buffer.from('{not json') : b]),
    );
    const res = await verifyBundle(bad, { publicKey: otherPub });
    expect(res.problems.map((p) => [p.path, p.code])).toEqual([['SHA256SUMS.sig', 'SIGNATURE_INVALID']]);
    expect(res.problems[0]?.message).toMatch(/not by the given key/);
    // Without the key, the same bundle is refused as inconsistent, not merely malformed.
    expect((await verifyBundle(bad)).problems.map((p) => [p.path, p.code])).toEqual([['SHA256SUMS.sig', 'SIGNATURE_INVALID']]);
  });

  it("with --key: the signer's bundle is valid; --require-signature without --key fails and asks for it", async () => {
    const path = await signedBundle();
    expect(await verifyBundle(path, { publicKey: teamPub })).toMatchObject({
      ok: true,
      signature: { status: 'valid', keyFingerprint: team.fingerprint },
    });
    const required = await verifyBundle(path, { requireSignature: true });
    expect(required.ok).toBe(false);
    expect(required.problems).toEqual([expect.objectContaining({ code: 'SIGNATURE_INVALID', message: expect.stringMatching(/--key/) })]);
    expect(await verifyBundle(path, { requireSignature: true, publicKey: teamPub })).toMatchObject({ ok: true });
  });

  it('an old-envelope signature (no public key) cannot be checked without --key: a warning that says so; --key checks it', async () => {
    const path = await signedBundle(oldEnvelope);
    const events: FerryEvent[] = [];
    const res = await verifyBundle(path, { events: (e) => events.push(e) });
    expect(res).toMatchObject({ ok: true, signature: { status: 'unchecked', consistent: false } });
    expect(warningsOf(events)).toEqual([
      `the bundle carries an old-format signature naming key ${team.fingerprint}, which cannot be checked without --key`,
    ]);
    expect(await verifyBundle(path, { publicKey: teamPub })).toMatchObject({ ok: true, signature: { status: 'valid' } });
    expect((await verifyBundle(tamper(path, changeLock), { publicKey: teamPub })).ok).toBe(false);
    expect((await verifyBundle(path, { publicKey: otherPub })).ok).toBe(false);
  });

  it('a signature anywhere but right after SHA256SUMS is not taken as the bundle signature', async () => {
    const path = await signedBundle();
    const [sums, sig, ...rest] = rawEntries(readFileSync(path)) as [RawEntry, RawEntry, ...RawEntry[]];
    const moved = `${path}.moved.tar`;
    writeFileSync(moved, rawTar([sums, ...rest, sig]));
    const res = await verifyBundle(moved, { publicKey: teamPub });
    expect(res.ok).toBe(false);
    expect(res.problems.map((p) => [p.path, p.code])).toEqual([['SHA256SUMS.sig', 'SIGNATURE_INVALID']]);
    expect(res.problems[0]?.message).toMatch(/not signed/);
    const plain = await verifyBundle(moved);
    expect(plain.problems.map((p) => [p.path, p.code])).toEqual([['SHA256SUMS.sig', 'MALFORMED']]);
  });
});

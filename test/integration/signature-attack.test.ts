import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSha256Sums } from '../../src/bundle/sha256sums.js';
import { type RawEntry, rawEntries, rawTar } from '../unit/bundle/fixtures.js';
import { seededBytes } from '../helpers/images.js';
import { withRemadeSbom } from '../helpers/remake-sbom.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'openssl', 'jq', 'tar');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The attack of issue 11 item 3, done as an attacker without the key would: swap a file's bytes for a payload,
 * re-derive every digest that names them (the blob's name, the manifest, index.json, the lock), recompute
 * SHA256SUMS (its SBOM made again too), and copy the real bundle's SHA256SUMS.sig back in.
 */
function swapPayload(bundle: string, original: Buffer, payload: Buffer, out: string): void {
  const [, sig, ...rest] = rawEntries(readFileSync(bundle)) as [RawEntry, RawEntry, ...RawEntry[]];
  expect(sig[0]).toBe('SHA256SUMS.sig');
  expect(payload.length).toBe(original.length); // same size: no size field to fix anywhere
  let entries = rest.map(([p, b]): RawEntry => (b.equals(original) ? [`blobs/sha256/${hex(payload)}`, payload] : [p, b]));
  const renames = new Map([[hex(original), hex(payload)]]);
  for (let changed = true; changed;) {
    changed = false;
    entries = entries.map(([p, b]): RawEntry => {
      let text = b.toString('latin1');
      for (const [from, to] of renames) text = text.replaceAll(from, to);
      if (text === b.toString('latin1')) return [p, b];
      const body = Buffer.from(text, 'latin1');
      changed = true;
      if (!p.startsWith('blobs/')) return [p, body];
      renames.set(p.slice(13), hex(body));
      return [`blobs/sha256/${hex(body)}`, body];
    });
  }
  entries = withRemadeSbom(entries);
  const sums = formatSha256Sums(entries.map(([p, b]) => ({ path: p, hex: hex(b) })));
  writeFileSync(out, rawTar([['SHA256SUMS', sums], sig, ...entries]));
}

describe.runIf(ok)('a signature copied onto a tampered bundle', () => {
  let host: FileHost;
  let dir: string;
  let signed: string;
  let tampered: string;
  const tool = seededBytes('attack-tool', 300_000);
  const payload = Buffer.concat([Buffer.from('#!/bin/sh\necho owned\n'), seededBytes('attack-payload', 300_000 - 21)]);

  beforeAll(async () => {
    host = await startFileHost({ '/tool.tgz': tool });
    dir = scratch();
    for (const name of ['team', 'mallory']) expect((await run(['key', 'generate', '--out', join(dir, name)])).code).toBe(0);
    const m = writeManifest(scratch(), `  files:\n    - url: ${host.url}/tool.tgz\n      sha256: ${hex(tool)}\n`);
    signed = join(dir, 'b.tar');
    const r = await run([
      '--no-progress',
      'bundle',
      'pull',
      m,
      '-o',
      signed,
      '--cache',
      join(dir, 'cache'),
      '--sign-key',
      join(dir, 'team.key'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    tampered = join(dir, 'tampered.tar');
    swapPayload(signed, tool, payload, tampered);
  });
  afterAll(async () => host?.stop());

  it('is refused without --key by verify, audit, stage, push and serve (exit 3); the real bundle only warns', async () => {
    const good = await run(['bundle', 'verify', signed]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stderr).toMatch(/signed by a key it cannot trust \(fingerprint sha256:[0-9a-f]{64}\): give --key/);

    const v = await run(['bundle', 'verify', tampered]);
    expect(v.code).toBe(3);
    expect(v.stdout + v.stderr).toMatch(
      /SIGNATURE_INVALID.*the signature is for a SHA256SUMS with sha256 [0-9a-f]{64}, this bundle's is [0-9a-f]{64}/s,
    );
    expect(v.stdout + v.stderr).not.toContain('not checked: give --key');
    expect((await run(['bundle', 'verify', tampered, '--key', join(dir, 'team.pub')])).code).toBe(3);

    const report = join(dir, 'audit.json');
    const a = await run(['bundle', 'audit', tampered, '-o', report]);
    expect(a.code).toBe(3);
    expect(a.stdout + a.stderr).toContain('FAIL');
    expect(JSON.parse(readFileSync(report, 'utf8')).bundle.signature).toMatchObject({ status: 'invalid' });

    const staged = join(scratch(), 'stage');
    const s = await run(['bundle', 'stage', tampered, '--dir', staged]);
    expect(s.code).toBe(3);
    expect(s.stderr).toContain('nothing was done');
    expect(existsSync(join(staged, 'files', 'tool.tgz'))).toBe(false);

    const reg = await startRegistry();
    try {
      const p = await run(['bundle', 'push', tampered, '--registry', reg.host, '--plain-http']);
      expect(p.code).toBe(3);
      expect(await (await fetch(`${reg.url}/v2/_catalog`)).json()).toEqual({ repositories: [] });
    } finally {
      await reg.stop();
    }
    const sv = await run(['bundle', 'serve', tampered, '--listen', '127.0.0.1:0']);
    expect(sv.code).toBe(3);
  });

  it("a bundle re-signed with the attacker's own key warns (fingerprint shown) without --key and fails with it", async () => {
    const [sums, , ...rest] = rawEntries(readFileSync(tampered)) as [RawEntry, RawEntry, ...RawEntry[]];
    const mallory = createPrivateKey(readFileSync(join(dir, 'mallory.key')));
    const { signSums } = await import('../../src/trust/bundle-signature.js');
    const resigned = join(dir, 'resigned.tar');
    writeFileSync(resigned, rawTar([sums, ['SHA256SUMS.sig', signSums(sums[1], mallory, 'ferry')], ...rest]));
    const plain = await run(['bundle', 'verify', resigned]);
    expect(plain.code).toBe(0); // without --key nothing can tell Mallory from the team: the warning says so
    expect(plain.stderr).toMatch(/signed by a key it cannot trust \(fingerprint sha256:[0-9a-f]{64}\): give --key/);
    expect((await run(['bundle', 'verify', resigned, '--require-signature'])).code).toBe(3);
    const keyed = await run(['bundle', 'verify', resigned, '--key', join(dir, 'team.pub')]);
    expect(keyed.code).toBe(3);
    expect(keyed.stdout + keyed.stderr).toContain('not by the given key');
  });

  it('a bundle with the old envelope (no public key) cannot be checked without --key, and is checked with it', async () => {
    const [sums, , ...rest] = rawEntries(readFileSync(signed)) as [RawEntry, RawEntry, ...RawEntry[]];
    const team = createPrivateKey(readFileSync(join(dir, 'team.key')));
    const fingerprint = /sha256:[0-9a-f]{64}/.exec((await run(['bundle', 'verify', signed])).stderr)![0];
    const v1 = {
      signatureVersion: 1,
      algorithm: 'ed25519',
      signed: { file: 'SHA256SUMS', sha256: hex(sums[1]) },
      keyFingerprint: fingerprint,
      created: '2026-01-01T00:00:00.000Z',
      tool: 'ferry 0.1.0',
      signature: sign(null, sums[1], team).toString('base64'),
    };
    const old = join(dir, 'old.tar');
    writeFileSync(old, rawTar([sums, ['SHA256SUMS.sig', Buffer.from(JSON.stringify(v1, null, 2))], ...rest]));
    const plain = await run(['bundle', 'verify', old]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain(`old-format signature naming key ${fingerprint}, which cannot be checked without --key`);
    expect((await run(['bundle', 'verify', old, '--key', join(dir, 'team.pub')])).code).toBe(0);
    expect((await run(['bundle', 'verify', old, '--key', join(dir, 'mallory.pub')])).code).toBe(3);
    expect((await run(['bundle', 'verify', old, '--require-signature'])).code).toBe(3);
  });

  it('the signature is verifiable the documented way: openssl pkeyutl -verify -rawin over the extracted SHA256SUMS', () => {
    const x = join(scratch(), 'x');
    mkdirSync(x);
    execFileSync('tar', ['-xf', signed, '-C', x]);
    const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { cwd: x, encoding: 'utf8', stdio: 'pipe' });
    sh('jq -r .signature SHA256SUMS.sig | base64 -d > sig.bin');
    expect(sh(`openssl pkeyutl -verify -pubin -inkey ${join(dir, 'team.pub')} -rawin -in SHA256SUMS -sigfile sig.bin`)).toContain(
      'Signature Verified Successfully',
    );
    expect(() => sh(`openssl pkeyutl -verify -pubin -inkey ${join(dir, 'mallory.pub')} -rawin -in SHA256SUMS -sigfile sig.bin`)).toThrow();
    // The key it carries is the team's (same SPKI as team.pub).
    sh('jq -r .publicKey SHA256SUMS.sig > carried.pem');
    const der = (f: string) => sh(`openssl pkey -pubin -in ${f} -outform DER | base64 -w0`);
    expect(der('carried.pem')).toBe(der(join(dir, 'team.pub')));
    // The tampered bundle's SHA256SUMS does not verify under the copied signature.
    const t = join(scratch(), 't');
    mkdirSync(t);
    execFileSync('tar', ['-xf', tampered, '-C', t]);
    expect(() =>
      execFileSync(
        'openssl',
        [
          'pkeyutl',
          '-verify',
          '-pubin',
          '-inkey',
          join(dir, 'team.pub'),
          '-rawin',
          '-in',
          join(t, 'SHA256SUMS'),
          '-sigfile',
          join(x, 'sig.bin'),
        ],
        { stdio: 'pipe' },
      ),
    ).toThrow();
  });
});

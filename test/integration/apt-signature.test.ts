import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseReleaseFile } from '../../src/kinds/apt/release-file.js';
import { readKeyring, verifyRelease } from '../../src/kinds/apt/release-signature.js';
import { type GpgKey, makeGpgKey } from '../helpers/gpg.js';
import { requireTools } from '../helpers/tools.js';
import { scratch } from './ferry-env.js';

const ok = requireTools('gpg');

describe.runIf(ok)('Release signatures made by real gpg, checked with openpgp', () => {
  let archive: GpgKey;
  let stranger: GpgKey;
  let dir: string;
  const release =
    'Origin: Fixture\nSuite: stable\nCodename: stable\nDate: Tue, 24 Nov 2026 10:00:00 UTC\nSHA256:\n ' +
    'ab'.repeat(32) +
    '   1234 main/binary-amd64/Packages.gz\n ' +
    'cd'.repeat(32) +
    ' 56789 main/binary-amd64/Packages\n';

  beforeAll(async () => {
    [archive, stranger] = await Promise.all([makeGpgKey('Fixture Archive'), makeGpgKey('Someone Else')]);
    dir = scratch('ferry-sig-');
    writeFileSync(join(dir, 'Release'), release);
    await archive.signRelease(join(dir, 'Release'), dir);
  }, 60_000);

  it('accepts InRelease and Release + Release.gpg signed by a keyring key (binary or armoured keyring), and reads only the signed text', async () => {
    for (const ring of [archive.publicBinary, archive.publicArmored]) {
      const keys = await readKeyring(ring, 'archive.gpg');
      const inRelease = await verifyRelease({ inRelease: readFileSync(join(dir, 'InRelease')) }, keys, 'stable/InRelease');
      expect(inRelease.signedBy).toEqual([archive.fingerprint]);
      expect(inRelease.text.trim()).toBe(release.trim());
      const detached = await verifyRelease(
        { release: readFileSync(join(dir, 'Release')), signature: readFileSync(join(dir, 'Release.gpg')) },
        keys,
        'stable/Release',
      );
      expect(detached.signedBy).toEqual([archive.fingerprint]);
    }
    const parsed = parseReleaseFile(release, 'Release');
    expect(parsed.sha256.get('main/binary-amd64/Packages')).toEqual({ sha256: 'cd'.repeat(32), size: 56789 });
    expect(parsed.suite).toBe('stable');
  });

  it('refuses a signature by a key not in the keyring, and a changed byte', async () => {
    const strangers = await readKeyring(stranger.publicBinary, 'other.gpg');
    await expect(verifyRelease({ inRelease: readFileSync(join(dir, 'InRelease')) }, strangers, 'stable/InRelease')).rejects.toMatchObject({
      code: 'APT_SIGNATURE',
      message: expect.stringContaining('stable/InRelease: no valid signature by a key in the keyring'),
    });
    const keys = await readKeyring(archive.publicBinary, 'archive.gpg');
    const tampered = readFileSync(join(dir, 'InRelease'), 'utf8').replace('Suite: stable', 'Suite: stab1e');
    await expect(verifyRelease({ inRelease: Buffer.from(tampered) }, keys, 'stable/InRelease')).rejects.toMatchObject({
      code: 'APT_SIGNATURE',
    });
  });

  it('accepts a Release signed by two keys when one of them is in the keyring (unknown signers are ignored)', async () => {
    const two = scratch('ferry-sig2-');
    writeFileSync(join(two, 'Release'), release);
    const { execFileSync } = await import('node:child_process');
    // gpg can clearsign with two keys from two homes by importing the stranger's secret key into the archive home.
    execFileSync('gpg', [
      '--homedir',
      stranger.home,
      '--batch',
      '--yes',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--export-secret-keys',
      '--output',
      join(two, 'sec.gpg'),
      stranger.fingerprint,
    ]);
    execFileSync('gpg', ['--homedir', archive.home, '--batch', '--import', join(two, 'sec.gpg')], { stdio: 'ignore' });
    execFileSync('gpg', [
      '--homedir',
      archive.home,
      '--batch',
      '--yes',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--local-user',
      archive.fingerprint,
      '--local-user',
      stranger.fingerprint,
      '--clearsign',
      '--output',
      join(two, 'InRelease'),
      join(two, 'Release'),
    ]);
    const keys = await readKeyring(archive.publicBinary, 'archive.gpg');
    const r = await verifyRelease({ inRelease: readFileSync(join(two, 'InRelease')) }, keys, 'InRelease');
    expect(r.signedBy).toEqual([archive.fingerprint]);
  });
});

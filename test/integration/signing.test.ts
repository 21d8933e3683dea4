import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleReader } from '../../src/bundle/reader.js';
import { seededBytes } from '../helpers/images.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Replaces the bytes of a tar member in place (same length), as an attacker editing the bundle would. */
function replaceMember(bundle: string, find: Buffer, replacement: Buffer): void {
  const bytes = readFileSync(bundle);
  const at = bytes.indexOf(find);
  expect(at).toBeGreaterThan(0);
  expect(replacement.length).toBe(find.length);
  replacement.copy(bytes, at);
  writeFileSync(bundle, bytes);
}

describe.runIf(ok)('signed bundles', () => {
  let host: FileHost;
  let dir: string;
  const tool = seededBytes('signed-tool', 200_000);
  const other = seededBytes('other-tool', 200_000);

  beforeAll(async () => {
    host = await startFileHost({ '/tool.tgz': tool, '/other.tgz': other });
    dir = scratch();
    for (const name of ['alice', 'bob']) {
      const r = await run(['key', 'generate', '--out', join(dir, name)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/fingerprint sha256:[0-9a-f]{64}/);
    }
  });
  afterAll(async () => host?.stop());

  const pullSigned = async (sub: string, file: string, key?: string) => {
    const d = join(dir, sub);
    const m = writeManifest(
      scratch(),
      `  files:\n    - url: ${host.url}/${file}\n      sha256: ${hex(file === 'tool.tgz' ? tool : other)}\n`,
    );
    const r = await run([
      '--no-progress',
      'bundle',
      'pull',
      m,
      '-o',
      join(d, 'b.tar'),
      '--cache',
      join(dir, 'cache'),
      ...(key ? ['--sign-key', key] : []),
    ]);
    expect(r.code, r.stderr).toBe(0);
    return join(d, 'b.tar');
  };

  it('key generate writes a 0600 private key and refuses to overwrite one', async () => {
    expect(statSync(join(dir, 'alice.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'alice.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    const again = await run(['key', 'generate', '--out', join(dir, 'alice')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('alice.key');
  });

  it('verify --key accepts the signer, refuses another key, a changed SHA256SUMS and a signature taken from another bundle', async () => {
    const signed = await pullSigned('a', 'tool.tgz', join(dir, 'alice.key'));
    const sig = readFileSync(`${signed}.sig`);
    expect(readFileSync(signed).includes(sig)).toBe(true); // the same signature file is inside the bundle

    expect((await run(['bundle', 'verify', signed, '--key', join(dir, 'alice.pub')])).code).toBe(0);
    const plain = await run(['bundle', 'verify', signed]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/signed by a key it cannot trust \(fingerprint sha256:[0-9a-f]{64}\): give --key/);
    expect((await run(['bundle', 'verify', signed, '--require-signature'])).code).toBe(3);

    const wrongKey = await run(['bundle', 'verify', signed, '--key', join(dir, 'bob.pub')]);
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stdout + wrongKey.stderr).toMatch(/signed by key sha256:[0-9a-f]{64}, not by the given key sha256:[0-9a-f]{64}/);

    // A signature from another bundle (same key, same length) swapped in.
    const otherBundle = await pullSigned('b', 'other.tgz', join(dir, 'alice.key'));
    const swapped = join(dir, 'swapped.tar');
    writeFileSync(swapped, readFileSync(signed));
    replaceMember(swapped, sig, readFileSync(`${otherBundle}.sig`));
    const s = await run(['bundle', 'verify', swapped, '--key', join(dir, 'alice.pub')]);
    expect(s.code).toBe(3);
    expect(s.stdout + s.stderr).toMatch(/the signature is for a SHA256SUMS with sha256 [0-9a-f]{64}, this bundle's is [0-9a-f]{64}/);

    // One changed byte in SHA256SUMS (a hex digit of the file's line): its own check fails, and so does the signature.
    const changed = join(dir, 'changed.tar');
    writeFileSync(changed, readFileSync(signed));
    const line = Buffer.from(hex(tool));
    const flipped = Buffer.from(line);
    flipped[0] = flipped[0] === 0x30 ? 0x31 : 0x30;
    replaceMember(changed, line, flipped);
    const c = await run(['bundle', 'verify', changed, '--key', join(dir, 'alice.pub')]);
    expect(c.code).toBe(3);
    expect(c.stdout + c.stderr).toContain('SIGNATURE_INVALID');
  });

  it('an unsigned bundle: a warning, an error with --key or --require-signature', async () => {
    const unsigned = await pullSigned('u', 'tool.tgz');
    const r = await run(['bundle', 'verify', unsigned]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the bundle is unsigned');
    expect((await run(['bundle', 'verify', unsigned, '--key', join(dir, 'alice.pub')])).code).toBe(3);
    expect((await run(['bundle', 'verify', unsigned, '--require-signature'])).code).toBe(3);
  });

  it('push checks the small members first and stage verifies everything first: damage each reads is refused before anything happens; --no-verify is logged', async () => {
    let reg: TestRegistry | undefined;
    try {
      reg = await startRegistry();
      const signed = await pullSigned('p', 'tool.tgz', join(dir, 'alice.key'));
      const damaged = join(dir, 'damaged.tar');
      const bytes = readFileSync(signed);
      const at = bytes.indexOf(tool.subarray(1000, 1032));
      bytes[at] ^= 0xff;
      writeFileSync(damaged, bytes);
      // push checks the small members before it sends anything (a damaged index.json here); the file's blob it
      // would not read at all (files are staged, not pushed), so it is damage for stage, not for push.
      const meta = readFileSync(signed);
      const reader = await BundleReader.open(signed);
      const index = reader.entry('index.json');
      await reader.close();
      // One hex digit of a digest in index.json changed: still valid JSON, no longer what SHA256SUMS lists.
      const digit = meta.indexOf('sha256:', index?.offset ?? 0) + 'sha256:'.length;
      meta[digit] = meta[digit] === 0x30 ? 0x31 : 0x30;
      const damagedMeta = join(dir, 'damaged-meta.tar');
      writeFileSync(damagedMeta, meta);
      const push = await run(['bundle', 'push', damagedMeta, '--registry', reg.host, '--plain-http', '--key', join(dir, 'alice.pub')]);
      expect(push.code).toBe(3);
      expect(push.stderr).toContain('DIGEST_MISMATCH index.json');
      expect(push.stderr).toContain('nothing was pushed');
      const intactImagesOnly = await run([
        'bundle',
        'push',
        damaged,
        '--registry',
        reg.host,
        '--plain-http',
        '--key',
        join(dir, 'alice.pub'),
      ]);
      expect(intactImagesOnly.code, intactImagesOnly.stderr).toBe(0);
      const staged = scratch();
      const stage = await run(['bundle', 'stage', damaged, '--dir', staged]);
      expect(stage.code).toBe(3);
      const skipped = await run(['bundle', 'stage', signed, '--dir', staged, '--no-verify']);
      expect(skipped.code).toBe(0);
      expect(skipped.stderr).toContain('--no-verify');
      expect((await run(['bundle', 'stage', signed, '--dir', staged, '--key', join(dir, 'bob.pub')])).code).toBe(3);
    } finally {
      await reg?.stop();
    }
  });
});

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CraftedBundle } from '../helpers/crafted-bundle.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('sha256sum');
/** coreutils' true: a real ELF executable that runs and exits 0. */
const TRUE = ['/usr/bin/true', '/bin/true'].find((p) => existsSync(p)) ?? '/usr/bin/true';
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const NAME = 'ferry-0.1.0-linux-x64';

/**
 * A release directory as `npm run release` lays it out: a real executable (coreutils' `true`, under the release
 * name), its CycloneDX SBOM and a SHA256SUMS written by the real sha256sum.
 */
function release(version = '0.1.0'): { dir: string; exe: string; bytes: Buffer; sbom: Buffer } {
  const dir = join(scratch('ferry-release-'), 'release');
  mkdirSync(dir);
  const exe = join(dir, NAME);
  copyFileSync(TRUE, exe);
  const sbom = Buffer.from(
    JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      metadata: { component: { type: 'application', name: 'ferry', version } },
      components: [],
    }),
  );
  writeFileSync(join(dir, `${NAME}.cdx.json`), sbom);
  writeFileSync(join(dir, 'SHA256SUMS'), execFileSync('sha256sum', [NAME, `${NAME}.cdx.json`], { cwd: dir }));
  return { dir, exe, bytes: readFileSync(exe), sbom };
}

describe.runIf(ok)('ferry carried in the bundle', () => {
  it('pull --with-ferry: the lock pins it by basename, sha256, size and SBOM version; verify, inspect, audit and stage carry it', async () => {
    const rel = release();
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, '  images: []\n'), join(dir, 'b.tar'), [], { withFerry: rel.exe });
    const lockText = readFileSync(result.lockPath, 'utf8');
    const sums = readFileSync(join(rel.dir, 'SHA256SUMS'));
    expect(JSON.parse(lockText).ferry).toEqual({
      name: NAME,
      version: '0.1.0',
      versionFrom: 'sbom',
      source: NAME,
      sha256: hex(rel.bytes),
      size: rel.bytes.length,
      vouchedBy: { kind: 'sha256sums', sha256: hex(sums), line: 1 },
      sbom: { name: `${NAME}.cdx.json`, sha256: hex(rel.sbom), size: rel.sbom.length },
    });
    // No path of the pulling machine travels with the bundle.
    expect(lockText).not.toContain(rel.dir);
    expect(readFileSync(result.bundle).includes(Buffer.from(rel.dir))).toBe(false);

    const v = await run(['bundle', 'verify', result.bundle]);
    expect(v.stdout + v.stderr).toContain('OK');
    expect(v.code).toBe(0);

    const inspect = JSON.parse((await run(['bundle', 'inspect', result.bundle, '--json'])).stdout);
    expect(inspect.artifacts).toEqual([
      expect.objectContaining({ kind: 'ferry', name: NAME, version: '0.1.0', sha256: `sha256:${hex(rel.bytes)}`, source: NAME }),
    ]);
    const text = (await run(['bundle', 'inspect', result.bundle])).stdout;
    expect(text).toContain(`ferry ${NAME} 0.1.0`);
    expect(inspect.counts).toEqual({ images: 0, charts: 0, files: 0, rke2Files: 0, aptPackages: 0, ferry: '0.1.0' });
    expect(text.split('\n')[0]).toMatch(/^bundle it \(format 1\): ferry 0\.1\.0; 4 blobs/);
    expect(text).toContain(`executable sha256:${hex(rel.bytes)}, from ${NAME}`);

    const out = scratch();
    const audit = await run(['bundle', 'audit', result.bundle, '--format', 'json', '-o', join(out, 'audit.json')]);
    expect(audit.code).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'audit.json'), 'utf8')).rows;
    expect(rows).toEqual([
      expect.objectContaining({
        kind: 'ferry',
        name: NAME,
        version: '0.1.0',
        source: `local file ${NAME}`,
        expected: `sha256:${hex(rel.bytes)}`,
        computed: `sha256:${hex(rel.bytes)}`,
        result: 'ok',
      }),
    ]);
    expect(rows[0].vouchedBy).toBe(`SHA256SUMS line 1 (list sha256 ${hex(sums)})`);

    const stage = scratch();
    const s = await run(['bundle', 'stage', result.bundle, '--dir', stage]);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain(`staged ferry 0.1.0 in ${join(stage, 'ferry')}`);
    const staged = join(stage, 'ferry', NAME);
    expect(readFileSync(staged).equals(rel.bytes)).toBe(true);
    expect(statSync(staged).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(stage, 'ferry', `${NAME}.cdx.json`)).equals(rel.sbom)).toBe(true);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(stage, 'ferry'), encoding: 'utf8' })).toBe(
      `${NAME}: OK\n${NAME}.cdx.json: OK\n`,
    );
    // It is the real executable, and it runs.
    execFileSync(staged);
  });

  it('spec.ferry.path (relative to the manifest), without an SBOM or SHA256SUMS: version from the file name; --lock pulls it again', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'release'));
    const exe = join(dir, 'release', NAME);
    copyFileSync(release().exe, exe);
    const m = writeManifest(dir, `  ferry:\n    path: release/${NAME}\n`);
    const { result } = await pull(m, join(dir, 'b.tar'), []);
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    expect(lock.ferry).toEqual({
      name: NAME,
      version: '0.1.0',
      versionFrom: 'file-name',
      source: NAME,
      sha256: hex(readFileSync(exe)),
      size: statSync(exe).size,
      vouchedBy: { kind: 'local' },
    });
    expect((await run(['bundle', 'verify', result.bundle])).code).toBe(0);

    const again = await pull(m, join(dir, 'again.tar'), [], { lockPath: result.lockPath });
    expect(readFileSync(again.result.lockPath, 'utf8')).toBe(readFileSync(result.lockPath, 'utf8'));
    // The flag wins over spec.ferry.path; a different executable no longer matches the lock.
    const other = join(scratch(), NAME);
    writeFileSync(other, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const err = await pull(m, join(dir, 'other.tar'), [], { lockPath: result.lockPath, withFerry: other }).catch((e) => e);
    expect(err.code).toBe('LOCK_MISMATCH');
    expect(err.message).toContain(
      `the lock pins ${NAME} sha256 ${lock.ferry.sha256}, the executable given is ${NAME} sha256 ${hex(readFileSync(other))}`,
    );
  });

  it('spec.ferry: true under plain node says to pass --with-ferry or set spec.ferry.path (exit 2 from the CLI)', async () => {
    const dir = scratch();
    const r = await run(['bundle', 'pull', writeManifest(dir, '  ferry: true\n'), '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --with-ferry PATH or set spec.ferry.path');
  });

  it('refuses an executable its SHA256SUMS does not vouch for, naming both sha256s, and writes no bundle', async () => {
    const rel = release();
    const listed = hex(rel.bytes);
    const dir = scratch();
    const m = writeManifest(dir, '  images: []\n');
    const good = await run(['bundle', 'pull', m, '-o', join(dir, 'good.tar'), '--cache', join(dir, 'c'), '--with-ferry', rel.exe]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(`ferry 0.1.0: ${NAME} sha256 ${listed}`);
    writeFileSync(rel.exe, Buffer.concat([rel.bytes, Buffer.from('x')]));
    const r = await run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), '--with-ferry', rel.exe]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `ferry executable ${NAME}: SHA256SUMS line 1 says ${listed}, the file's sha256 is ${hex(readFileSync(rel.exe))}`,
    );
    expect(() => statSync(join(dir, 'b.tar'))).toThrow();
  });

  it('refuses an SBOM whose version disagrees with the release name, and a file not under its release name', async () => {
    const rel = release('0.2.0');
    const dir = scratch();
    const m = writeManifest(dir, '  images: []\n');
    const err = await pull(m, join(dir, 'b.tar'), [], { withFerry: rel.exe }).catch((e) => e);
    expect(err.message).toContain(`its SBOM ${NAME}.cdx.json says version 0.2.0, its name says 0.1.0`);
    const plain = join(scratch(), 'ferry');
    copyFileSync(rel.exe, plain);
    const named = await pull(m, join(dir, 'c.tar'), [], { withFerry: plain }).catch((e) => e);
    expect(named.message).toContain('ferry executable ferry: expected its release name ferry-<version>-linux-<arch>');
  });

  it('verify fails a bundle whose ferry bytes were altered (SHA256SUMS not recomputed), naming the executable; stage writes nothing', async () => {
    const rel = release();
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, '  images: []\n'), join(dir, 'b.tar'), [], { withFerry: rel.exe });
    const bytes = readFileSync(result.bundle);
    const at = bytes.indexOf(rel.bytes.subarray(0, 4096)) + 2000;
    expect(at).toBeGreaterThan(2000);
    bytes[at] = (bytes[at] as number) ^ 1;
    const damaged = join(dir, 'damaged.tar');
    writeFileSync(damaged, bytes);
    const v = await run(['bundle', 'verify', damaged]);
    expect(v.code).toBe(3);
    expect(v.stdout).toContain(
      `DIGEST_MISMATCH blobs/sha256/${hex(rel.bytes)}: ferry ${NAME}: its bytes in the bundle are missing or do not hash to the sha256 the lock pins`,
    );
    const stage = scratch();
    expect((await run(['bundle', 'stage', damaged, '--dir', stage])).code).not.toBe(0);
    expect(() => statSync(join(stage, 'ferry', NAME))).toThrow();
  });

  it('refuses a re-summed bundle whose executable was swapped or whose SBOM title points elsewhere: verify, stage and inspect exit 3, nothing staged', async () => {
    const rel = release();
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, '  images: []\n'), join(dir, 'b.tar'), [], { withFerry: rel.exe });
    const entry = (b: CraftedBundle) => b.indexEntry((d) => d.annotations['dev.ferry.kind'] === 'ferry');
    const evil = Buffer.from('#!/bin/sh\necho owned\n');
    const swapped = new CraftedBundle(result.bundle).replaceBlob(`sha256:${hex(rel.bytes)}`, evil).write(join(dir, 'swapped.tar'));
    const v = await run(['bundle', 'verify', swapped]);
    expect(v.code).toBe(3);
    expect(v.stdout).toContain(`ferry ${NAME}: the bundle carries sha256:${hex(evil)}, the lock pins sha256:${hex(rel.bytes)}`);
    const b = new CraftedBundle(result.bundle);
    const renamed = b
      .editBlob(entry(b).digest, (m) => (m.layers[1].annotations['org.opencontainers.image.title'] = '../../etc/evil'))
      .write(join(dir, 'renamed.tar'));
    for (const bad of [swapped, renamed]) {
      const stage = scratch();
      const s = await run(['bundle', 'stage', bad, '--dir', stage]);
      expect(s.code).toBe(3);
      expect(s.stdout + s.stderr).toContain(`ferry ${NAME}`);
      expect(existsSync(join(stage, 'ferry'))).toBe(false);
      expect((await run(['bundle', 'inspect', bad])).code).toBe(3);
    }
  });
});

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { ls, spawnFerry } from '../helpers/ferry-child.js';
import { seededBytes } from '../helpers/images.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A tmpfs the test mounts (tests run as root): `size=1m` for a full disk, `ro` for a read-only file system. */
function mountTmpfs(dir: string, options: string): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  return () => execFileSync('umount', [dir]);
}

interface JsonError {
  ok: false;
  error: { code: string; message: string; details: { path?: string; errno?: string } };
}

describe('file-system errors name the code, the errno and the path', () => {
  let host: FileHost;
  const data = seededBytes('disk-errors', 3 << 20);
  let dir: string;
  let manifest: string;
  const unmount: (() => void)[] = [];

  beforeAll(async () => {
    host = await startFileHost({ '/data.bin': data });
    dir = scratch();
    chmodSync(dir, 0o755);
    manifest = writeManifest(dir, `  files:\n    - url: ${host.url}/data.bin\n      sha256: ${hex(data)}\n`);
  });
  afterAll(async () => {
    for (const u of unmount.reverse()) u();
    await host?.stop();
  });

  const pullJson = async (out: string, cache = join(dir, 'cache')) => {
    const r = await run(['bundle', 'pull', manifest, '-o', out, '--cache', cache, '--json']);
    return { code: r.code, stderr: r.stderr, result: JSON.parse(r.stdout) as JsonError };
  };

  it('a read-only file system: EROFS with the path, also when the output directory does not exist yet (was ENOENT)', async () => {
    const ro = join(dir, 'ro');
    unmount.push(mountTmpfs(ro, 'ro,size=1m'));
    for (const [out, path] of [
      [join(ro, 'b.tar'), join(ro, 'b.tar')],
      [join(ro, 'sub', 'b.tar'), join(ro, 'sub')],
    ]) {
      const r = await pullJson(out as string);
      expect(r.code).toBe(1);
      expect(r.result.error).toMatchObject({ code: 'IO_ERROR', details: { errno: 'EROFS', path } });
      expect(r.result.error.message).toContain(`${path}: the file system is read-only`);
    }
    const text = await run(['bundle', 'pull', manifest, '-o', join(ro, 'b.tar'), '--cache', join(dir, 'cache'), '--no-progress']);
    expect(text.stderr).toBe(
      `ferry: error [IO_ERROR]: cannot create ${join(ro, 'b.tar')}: the file system is read-only: write to a writable directory (EROFS)\n`,
    );
  });

  it('stage into a read-only directory: EROFS naming the directory', async () => {
    const { result } = await pull(manifest, join(dir, 'ok', 'b.tar'), [], { cacheDir: join(dir, 'cache') });
    const ro = join(dir, 'ro-stage');
    unmount.push(mountTmpfs(ro, 'ro,size=1m'));
    const r = await run(['bundle', 'stage', result.bundle, '--dir', ro, '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as JsonError).error).toMatchObject({
      code: 'IO_ERROR',
      details: { errno: 'EROFS', path: join(ro, 'files') },
    });
  });

  it('a full disk under the bundle: ENOSPC with the path, and nothing left there (no temporary file, no lock)', async () => {
    const full = join(dir, 'full');
    unmount.push(mountTmpfs(full, 'size=1m'));
    const r = await pullJson(join(full, 'b.tar'));
    expect(r.code).toBe(1);
    expect(r.result.error).toMatchObject({ code: 'IO_ERROR', details: { errno: 'ENOSPC', path: join(full, 'b.tar') } });
    expect(r.result.error.message).toContain('no space left on the device');
    expect(ls(full)).toEqual([]);
  });

  it('a full disk under the cache: ENOSPC with a path in the cache', async () => {
    const full = join(dir, 'full-cache');
    unmount.push(mountTmpfs(full, 'size=1m'));
    const r = await pullJson(join(dir, 'out-full-cache', 'b.tar'), join(full, 'cache'));
    expect(r.code).toBe(1);
    expect(r.result.error).toMatchObject({ code: 'IO_ERROR', details: { errno: 'ENOSPC' } });
    expect(r.result.error.details.path?.startsWith(join(full, 'cache'))).toBe(true);
  });

  it('a cache on a read-only file system: EROFS (not ENOENT) with a path in the cache', async () => {
    const ro = join(dir, 'ro-cache');
    unmount.push(mountTmpfs(ro, 'ro,size=1m'));
    const r = await pullJson(join(dir, 'out-ro-cache', 'b.tar'), join(ro, 'cache'));
    expect(r.code).toBe(1);
    expect(r.result.error).toMatchObject({ code: 'IO_ERROR', details: { errno: 'EROFS', path: join(ro, 'cache') } });
  });

  it('a directory the user may not write to: EACCES with the path (run as nobody)', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    const cache = join(dir, 'nobody-cache');
    mkdirSync(cache, { mode: 0o777 });
    chmodSync(cache, 0o777);
    const child = spawnFerry(['bundle', 'pull', manifest, '-o', join(locked, 'b.tar'), '--cache', cache, '--json'], {
      uid: 65534,
      env: { HOME: cache },
    });
    const exit = await child.exited;
    expect(exit.code, child.stderr()).toBe(1);
    expect((JSON.parse(child.stdout()) as JsonError).error).toMatchObject({
      code: 'IO_ERROR',
      details: { errno: 'EACCES', path: join(locked, 'b.tar') },
    });
  });
});

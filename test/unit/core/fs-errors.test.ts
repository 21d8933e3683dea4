import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../src/core/errors.js';
import { diskError, ensureDir, fsError } from '../../../src/core/fs-errors.js';

const errno = (code: string, syscall = 'write') => Object.assign(new Error(`${code}: something, ${syscall}`), { code, syscall });

describe('fsError', () => {
  it('maps ENOSPC, EROFS and EACCES to IO_ERROR with the path, the errno and a fix', () => {
    for (const [code, words] of [
      ['ENOSPC', 'no space left'],
      ['EROFS', 'the file system is read-only'],
      ['EACCES', 'permission denied'],
    ] as const) {
      const e = fsError(errno(code), '/out/b.tar', 'cannot write');
      expect(e).toMatchObject({ code: 'IO_ERROR', details: { path: '/out/b.tar', errno: code, syscall: 'write' } });
      expect(e.message).toMatch(new RegExp(`^cannot write /out/b.tar: ${words}.*\\(${code}\\)$`));
    }
  });

  it('passes FerryErrors through and keeps the message of an errno it has no advice for', () => {
    const fe = new FerryError('DIGEST_MISMATCH', 'x');
    expect(fsError(fe, '/p', 'cannot write')).toBe(fe);
    expect(fsError(errno('EMFILE'), '/p', 'cannot open').message).toBe('cannot open /p: EMFILE: something, write (EMFILE)');
  });

  it('diskError maps only errors of the disk: a network errno passes unchanged', () => {
    const reset = errno('ECONNRESET', 'read');
    expect(diskError(reset, '/cache/x', 'cannot write to the cache:')).toBe(reset);
    expect(diskError(errno('ENOSPC'), '/cache/x', 'cannot write to the cache:')).toMatchObject({
      code: 'IO_ERROR',
      details: { errno: 'ENOSPC', path: '/cache/x' },
    });
  });
});

describe('ensureDir', () => {
  it('creates missing parents and accepts an existing directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-ensure-'));
    await ensureDir(join(dir, 'a', 'b', 'c'));
    await ensureDir(join(dir, 'a', 'b', 'c'));
  });

  it('names the component that is in the way (a file where a directory should be)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-ensure-'));
    writeFileSync(join(dir, 'file'), 'x');
    await expect(ensureDir(join(dir, 'file', 'sub', 'deeper'))).rejects.toMatchObject({ code: 'IO_ERROR', details: { errno: 'ENOTDIR' } });
  });
});

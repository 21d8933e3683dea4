import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../../src/core/errors.js';
import { canonicalJson, parseLock, readLock, serializeLock } from '../../../src/lock/lock-file.js';
import type { Lock } from '../../../src/lock/types.js';
import { D, sampleLock } from './fixtures.js';

/** Rebuilds a value with every object's keys in reverse order: the same data, written differently. */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reverseKeys(x)]),
    );
  return v;
}

function problemsOf(text: string): string[] {
  try {
    parseLock(text, 'x.json');
  } catch (err) {
    if (!isFerryError(err, 'LOCK_INVALID')) throw err;
    expect(err.message.startsWith('x.json: ')).toBe(true);
    return (err.details.problems as string[] | undefined) ?? [err.message];
  }
  throw new Error('expected the lock to be rejected');
}

describe('canonical JSON', () => {
  it('sorts keys at every depth, keeps array order, drops undefined, ends with a newline', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{\n  "a": {\n    "d": [\n      3,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });
});

describe('lock file', () => {
  it('serialises the same lock to the same bytes whatever the key and entry order', () => {
    const shuffled = reverseKeys(sampleLock) as Lock;
    shuffled.images.reverse();
    shuffled.files.reverse();
    expect(Object.keys(shuffled)[0]).toBe('files');
    expect(serializeLock(shuffled)).toBe(serializeLock(sampleLock));
    const text = serializeLock(sampleLock);
    expect(text.indexOf('docker.io/library/a:1')).toBeLessThan(text.indexOf('quay.io/b/b:1'));
    expect(text.indexOf('"f.tgz"')).toBeLessThan(text.indexOf('"z.tgz"'));
    expect(text.startsWith('{\n  "bundle": {\n    "name": "demo"\n  },\n  "files": [')).toBe(true);
    expect(text.endsWith('  "lockVersion": 1\n}\n')).toBe(true);
    // Platform lists are data, not sets to sort: their order is kept.
    expect(JSON.parse(text).images[1].upstreamPlatforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/s390x']);
  });

  it('round-trips through its serialised form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-lock-'));
    const path = join(dir, 'ferry.lock.json');
    writeFileSync(path, serializeLock(sampleLock));
    expect(serializeLock(await readLock(path))).toBe(serializeLock(sampleLock));
    expect(await readLock(path)).toEqual(JSON.parse(serializeLock(sampleLock)));
  });

  it('reports an unreadable lock as LOCK_INVALID naming the path', async () => {
    await expect(readLock('/nonexistent/ferry.lock.json')).rejects.toThrowError(
      expect.objectContaining({ code: 'LOCK_INVALID', message: expect.stringContaining('/nonexistent/ferry.lock.json') }),
    );
  });
});

describe('parseLock rejects what is not a valid version-1 lock', () => {
  const withImage = (patch: object) => JSON.stringify({ ...sampleLock, images: [{ ...sampleLock.images[1], ...patch }] });
  const withFile = (patch: object) => JSON.stringify({ ...sampleLock, files: [{ ...sampleLock.files[0], ...patch }] });

  it('bad JSON and other versions', () => {
    expect(problemsOf('{')[0]).toMatch(/^x\.json: not valid JSON/);
    expect(problemsOf(JSON.stringify({ ...sampleLock, lockVersion: 2 }))).toEqual([
      'x.json: lockVersion 2 is not supported (this ferry reads lockVersion 1)',
    ]);
    expect(problemsOf('null')).toEqual(['(root): expected a mapping, got an empty value']);
    expect(problemsOf('{}')).toEqual([
      'lockVersion: required key is missing',
      'bundle: required key is missing',
      'images: required key is missing',
      'files: required key is missing',
    ]);
  });

  it('shape errors, each with its key path', () => {
    expect(problemsOf(withImage({ digest: 'nope', size: -1, extra: 1 }))).toEqual([
      'images.0.digest: expected sha256:<64 lower-case hex digits>',
      'images.0.size: must be at least 0',
      'images.0.extra: unknown key "extra"',
    ]);
    expect(problemsOf(withFile({ sha256: 'D'.repeat(64), vouchedBy: { kind: 'checksums', url: 'https://e.org/S' } }))).toEqual([
      'files.0.sha256: expected 64 lower-case hex digits',
      'files.0.vouchedBy.sha256: required key is missing',
      'files.0.vouchedBy.line: required key is missing',
    ]);
    expect(problemsOf(withImage({ platforms: 'every' }))).toEqual(['images.0.platforms: expected "all" or a list of platforms']);
  });

  it('meaning errors: unnormalised refs and platforms, digest pins, unsafe or repeated names, bad URLs', () => {
    const pinned = `registry.k8s.io/pause@${D('9')}`;
    expect(problemsOf(withImage({ ref: 'busybox' }))).toEqual([
      'images.0.ref: "busybox" is not in normalised form (docker.io/library/busybox:latest)',
    ]);
    expect(problemsOf(withImage({ ref: pinned, upstreamDigest: D('8') }))).toEqual([
      `images.0.upstreamDigest: the reference pins ${D('9')} but the lock says it resolved to ${D('8')}`,
    ]);
    expect(problemsOf(withImage({ platforms: ['linux/x86_64', 'linux'] }))).toEqual([
      'images.0.platforms.0: "linux/x86_64" is not in normalised form (linux/amd64)',
      'images.0.platforms.1: "linux" is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7',
    ]);
    expect(problemsOf(JSON.stringify({ ...sampleLock, images: [sampleLock.images[0], sampleLock.images[0]] }))).toEqual([
      'images.1.ref: quay.io/b/b:1 is listed twice',
    ]);
    expect(problemsOf(withFile({ name: '../x' }))).toEqual(['files.0.name: file name "../x" must not contain / or \\']);
    expect(problemsOf(JSON.stringify({ ...sampleLock, files: [sampleLock.files[0], sampleLock.files[0]] }))).toEqual([
      'files.1.name: z.tgz is listed twice',
    ]);
    expect(problemsOf(withFile({ url: 'file:///etc/passwd' }))).toEqual([
      'files.0.url: only http:// and https:// URLs are supported, not file://',
    ]);
  });

  it('accepts a lock whose keys and entries are in any order', () => {
    const text = JSON.stringify(reverseKeys(sampleLock));
    expect(serializeLock(parseLock(text, 'x.json'))).toBe(serializeLock(sampleLock));
  });
});

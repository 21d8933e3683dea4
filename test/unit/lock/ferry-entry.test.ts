import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../../src/core/errors.js';
import { parseLock, serializeLock } from '../../../src/lock/lock-file.js';
import { parseFerryReleaseName } from '../../../src/kinds/ferry/ferry-lock.js';
import { checkFerryLock } from '../../../src/kinds/ferry/match-ferry.js';
import type { Lock, LockedFerry } from '../../../src/lock/types.js';
import { parseManifest } from '../../../src/manifest/load.js';
import { sampleLock } from './fixtures.js';

const head = `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: demo\n`;
const ferry: LockedFerry = {
  name: 'ferry-0.1.0-linux-x64',
  version: '0.1.0',
  versionFrom: 'sbom',
  source: 'ferry-0.1.0-linux-x64',
  sha256: 'a'.repeat(64),
  size: 1234,
  vouchedBy: { kind: 'sha256sums', sha256: 'b'.repeat(64), line: 1 },
  sbom: { name: 'ferry-0.1.0-linux-x64.cdx.json', sha256: 'c'.repeat(64), size: 99 },
};
const withFerry = (f: Record<string, unknown>): string => serializeLock({ ...sampleLock, ferry: f as unknown as LockedFerry } as Lock);
const problems = (text: string): string[] => {
  try {
    parseLock(text, 'l.json');
  } catch (err) {
    if (!isFerryError(err, 'LOCK_INVALID')) throw err;
    return err.details.problems as string[];
  }
  throw new Error('expected the lock to be rejected');
};

describe('spec.ferry in the manifest', () => {
  it('true means the running executable; path is taken relative to the manifest', () => {
    expect(parseManifest(`${head}spec:\n  ferry: true\n`, '/m/bundle.yaml').ferry).toEqual({});
    expect(parseManifest(`${head}spec:\n  ferry:\n    path: release/ferry-0.1.0-linux-x64\n`, '/m/bundle.yaml').ferry).toEqual({
      path: '/m/release/ferry-0.1.0-linux-x64',
    });
    expect(parseManifest(`${head}spec:\n  images: []\n`, '/m/bundle.yaml').ferry).toBeUndefined();
  });

  it('refuses false, a string and an unknown key, at their position', () => {
    for (const bad of ['ferry: false', 'ferry: release/ferry', 'ferry:\n    paht: x']) {
      expect(() => parseManifest(`${head}spec:\n  ${bad}\n`, 'm.yaml')).toThrowError(expect.objectContaining({ code: 'MANIFEST_INVALID' }));
    }
    expect(() => parseManifest(`${head}spec:\n  ferry: false\n`, 'm.yaml')).toThrow(
      'm.yaml:6:10: spec.ferry: expected true (the ferry executable running the pull) or a mapping with path:',
    );
  });
});

describe('ferry in the lock', () => {
  it('round-trips, and an absent entry stays absent', () => {
    expect(parseLock(withFerry({ ...ferry }), 'l.json').ferry).toEqual(ferry);
    expect(parseLock(serializeLock(sampleLock), 'l.json').ferry).toBeUndefined();
    const local = { ...ferry, versionFrom: 'file-name', vouchedBy: { kind: 'local' } } as Record<string, unknown>;
    delete local.sbom;
    expect(parseLock(withFerry(local), 'l.json').ferry).toEqual(local);
  });

  it('refuses a path as its source, a name that is not a release name, an SBOM named otherwise, and unknown keys', () => {
    expect(problems(withFerry({ ...ferry, source: '/home/me/ferry/release/ferry-0.1.0-linux-x64' }))).toEqual([
      'ferry.source: "/home/me/ferry/release/ferry-0.1.0-linux-x64" must be a file name, not a path',
    ]);
    expect(problems(withFerry({ ...ferry, name: 'ferry' }))).toContain(
      'ferry.name: "ferry" is not a release name ferry-<version>-linux-<arch>',
    );
    expect(problems(withFerry({ ...ferry, sbom: { ...ferry.sbom, name: 'sbom.json' } }))).toEqual([
      'ferry.sbom.name: expected ferry-0.1.0-linux-x64.cdx.json, not "sbom.json"',
    ]);
    expect(problems(withFerry({ ...ferry, path: '/abs' }))[0]).toContain('ferry');
    expect(problems(withFerry({ ...ferry, sha256: 'A'.repeat(64) }))[0]).toContain('ferry.sha256');
    expect(problems(withFerry({ ...ferry, vouchedBy: { kind: 'sha256sums', sha256: 'b'.repeat(64) } }))[0]).toContain('ferry.vouchedBy');
  });

  it('reads version and arch from a release name', () => {
    expect(parseFerryReleaseName('ferry-0.1.0-linux-x64')).toEqual({ version: '0.1.0', arch: 'x64' });
    expect(parseFerryReleaseName('ferry-1.2.3-rc.1-linux-arm64')).toEqual({ version: '1.2.3-rc.1', arch: 'arm64' });
    expect(parseFerryReleaseName('ferry')).toBeUndefined();
    expect(parseFerryReleaseName('ferry-0.1.0-darwin-x64')).toBeUndefined();
  });
});

describe('--lock and the ferry executable', () => {
  it('one without the other, or another executable, is a LOCK_MISMATCH naming it', () => {
    expect(() => checkFerryLock(ferry, ferry, 'm.yaml')).not.toThrow();
    expect(() => checkFerryLock(undefined, undefined, 'm.yaml')).not.toThrow();
    expect(() => checkFerryLock(ferry, undefined, 'm.yaml')).toThrow(
      'ferry ferry-0.1.0-linux-x64: in the lock, but neither spec.ferry nor --with-ferry gives an executable',
    );
    expect(() => checkFerryLock(undefined, ferry, 'm.yaml')).toThrow(
      'ferry ferry-0.1.0-linux-x64: given (spec.ferry or --with-ferry), not in the lock',
    );
    expect(() => checkFerryLock(ferry, { ...ferry, name: 'ferry-0.2.0-linux-x64', sha256: 'd'.repeat(64) }, 'm.yaml')).toThrowError(
      expect.objectContaining({
        code: 'LOCK_MISMATCH',
        message: expect.stringContaining(
          `the lock pins ferry-0.1.0-linux-x64 sha256 ${'a'.repeat(64)}, the executable given is ferry-0.2.0-linux-x64 sha256 ${'d'.repeat(64)}`,
        ),
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { formatCounts } from '../../../src/cli/render.js';
import { bundleCounts } from '../../../src/lock/counts.js';
import type { Lock } from '../../../src/lock/types.js';

describe('one vocabulary of counts', () => {
  const lock = {
    lockVersion: 1,
    bundle: { name: 'b' },
    images: [{}, {}, {}],
    files: [{}, {}],
    charts: [{}],
    rke2: { files: Array.from({ length: 7 }, () => ({})) },
    apt: [{ debs: [{}, {}] }, { debs: [{}, {}, {}] }],
  } as unknown as Lock;

  it('counts a lock by kind: images (with those charts brought in), charts, files, RKE2 files, apt packages', () => {
    expect(bundleCounts(lock)).toEqual({ images: 3, charts: 1, files: 2, rke2Files: 7, aptPackages: 5 });
  });

  it('says them the same way everywhere, leaving out kinds the bundle has none of', () => {
    expect(formatCounts(bundleCounts(lock))).toBe('3 images, 1 chart, 2 files, 7 RKE2 files, 5 apt packages');
    expect(formatCounts({ images: 1, charts: 0, files: 1, rke2Files: 0, aptPackages: 1 })).toBe('1 image, 1 file, 1 apt package');
    expect(formatCounts({ images: 0, charts: 0, files: 0, rke2Files: 0, aptPackages: 0 })).toBe('nothing');
  });
});

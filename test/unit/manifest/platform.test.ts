import { describe, expect, it } from 'vitest';
import { normalisePlatform, parsePlatformSpec, type PlatformProblem } from '../../../src/manifest/platform.js';

describe('normalisePlatform', () => {
  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['Linux/AMD64', 'linux/amd64'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64/v8'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/i386', 'linux/386'],
    ['macos/arm64', 'darwin/arm64'],
    ['windows/amd64', 'windows/amd64'],
    ['linux/s390x', 'linux/s390x'],
  ])('%s → %s', (input, want) => {
    expect(normalisePlatform(input)).toEqual({ platform: want });
  });

  it.each(['linux', 'linux/', '/amd64', 'a/b/c/d', 'linux/amd 64', ''])('rejects %j', (input) => {
    expect(normalisePlatform(input)).toHaveProperty('error');
  });
});

describe('parsePlatformSpec', () => {
  const run = (raw: string | string[]) => {
    const problems: PlatformProblem[] = [];
    return { spec: parsePlatformSpec(raw, problems), problems };
  };

  it('accepts all as a word or the only list item', () => {
    expect(run('all')).toEqual({ spec: 'all', problems: [] });
    expect(run(['all'])).toEqual({ spec: 'all', problems: [] });
  });

  it('collapses spellings of the same platform, keeping the written order', () => {
    expect(run(['linux/arm64', 'linux/amd64', 'linux/aarch64', 'linux/x86_64'])).toEqual({
      spec: ['linux/arm64', 'linux/amd64'],
      problems: [],
    });
  });

  it('refuses an ambiguous or mixed request', () => {
    expect(run(['all', 'linux/amd64']).problems).toEqual([
      { message: 'all keeps every platform and cannot be combined with other platforms' },
    ]);
    expect(run(['linux/arm/v7', 'linux/arm']).problems).toEqual([
      { index: 1, message: 'linux/arm overlaps linux/arm/v7 (a platform without a variant matches every variant)' },
    ]);
    expect(run(['linux/arm/v6', 'linux/arm/v7'])).toEqual({ spec: ['linux/arm/v6', 'linux/arm/v7'], problems: [] });
    expect(run('linux/amd64').spec).toBeUndefined();
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../../src/core/errors.js';
import { safeJoin } from '../../../src/validate/safe-join.js';

const BASE = '/srv/stage';

function refusal(...parts: string[]): string {
  try {
    safeJoin(BASE, ...parts);
  } catch (err) {
    if (isFerryError(err, 'UNSAFE_VALUE')) return err.message;
    throw err;
  }
  throw new Error(`safeJoin accepted ${JSON.stringify(parts)}`);
}

describe('safeJoin', () => {
  it('joins plain relative parts under the base', () => {
    expect(safeJoin(BASE, 'apt', 'dists/ferry/main/binary-amd64/Packages')).toBe(join(BASE, 'apt/dists/ferry/main/binary-amd64/Packages'));
    expect(safeJoin(BASE, 'files', 'tool x~1.tar.gz')).toBe(join(BASE, 'files/tool x~1.tar.gz'));
    expect(safeJoin(BASE, 'pool', 'libfoo_1%3a0.9-1_amd64.deb')).toBe(join(BASE, 'pool/libfoo_1%3a0.9-1_amd64.deb'));
  });

  it.each([
    [['../etc/passwd'], 'has a ".." segment'],
    [['a/../../b'], 'has a ".." segment'],
    [['binary-x/../../../../X'], 'has a ".." segment'],
    [['..'], 'has a ".." segment'],
    [['./a'], 'has a "." segment'],
    [['/etc/passwd'], 'is an absolute path'],
    [['a', '/abs'], 'is an absolute path'],
    [['C:evil'], 'is an absolute path'],
    [['%2e%2e%2fetc'], 'percent-encoded'],
    [['%2E%2E/x'], 'percent-encoded'],
    [['a%2fb'], 'percent-encoded'],
    [['%252e%252e'], 'percent-encoded'],
    [['..\\..\\x'], 'contains a backslash'],
    [['a\\b'], 'contains a backslash'],
    [['a\0b'], 'contains NUL'],
    [[''], 'is empty'],
    [['a//b'], 'has an empty segment'],
    [['a/'], 'has an empty segment'],
  ])('refuses %j (%s)', (parts, why) => {
    expect(refusal(...parts)).toContain(why);
  });

  it('refuses a join that is the base itself, and escapes control characters in the message', () => {
    expect(() => safeJoin(BASE)).toThrow(/leaves the directory/);
    expect(refusal('a\n\u001b[2J')).toContain('\\n\\x1b[2J');
  });
});

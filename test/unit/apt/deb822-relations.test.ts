import { describe, expect, it } from 'vitest';
import { field, parseDeb822 } from '../../../src/kinds/apt/deb822.js';
import { formatRelation, parseRelations } from '../../../src/kinds/apt/relations.js';

describe('deb822 and relations', () => {
  it('reads stanzas, case-insensitive fields and continuation lines', () => {
    const [a, b, ...rest] = parseDeb822(
      'Package: jq\nVersion: 1.6-2.1\nDescription: lightweight\n and flexible\n .\n JSON\n\n\nPackage: libjq1\r\nSHA256: ab\r\n',
    );
    expect(rest).toEqual([]);
    expect(field(a as Map<string, string>, 'package')).toBe('jq');
    expect(field(a as Map<string, string>, 'DESCRIPTION')).toBe('lightweight\nand flexible\n.\nJSON');
    expect(field(b as Map<string, string>, 'sha256')).toBe('ab');
  });

  it('reads relation fields: alternatives, versions, arch qualifiers, legacy operators', () => {
    const r = parseRelations(
      'libc6 (>= 2.34), libonig5 (>= 6.1.3) | libonig4, python3:any (<< 3.12), perl (> 5.0), debconf [amd64] <!nocheck>',
    );
    expect(r.map((g) => g.map(formatRelation).join(' | '))).toEqual([
      'libc6 (>= 2.34)',
      'libonig5 (>= 6.1.3) | libonig4',
      'python3:any (<< 3.12)',
      'perl (>= 5.0)',
      'debconf',
    ]);
    expect(parseRelations('')).toEqual([]);
    expect(() => parseRelations('good, (bad')).toThrow('cannot read the relation "(bad"');
  });
});

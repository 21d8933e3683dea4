import { describe, expect, it } from 'vitest';
import type { Package } from '../../../src/kinds/apt/package-index.js';
import { parseRelations } from '../../../src/kinds/apt/relations.js';
import { resolveClosure } from '../../../src/kinds/apt/resolve-closure.js';

const pkg = (name: string, version: string, fields: Partial<Record<'depends' | 'conflicts' | 'provides', string>> = {}): Package => ({
  name,
  version,
  architecture: 'amd64',
  depends: parseRelations(fields.depends),
  preDepends: [],
  recommends: [],
  conflicts: parseRelations(fields.conflicts),
  breaks: [],
  provides: parseRelations(fields.provides).flat(),
});

describe('resolveClosure', () => {
  it('walks a dependency chain 450 deep, and refuses one deeper than 500 with a message (never a stack overflow)', () => {
    const chain = (n: number) =>
      Array.from({ length: n }, (_, i) => pkg(`p${i}`, '1.0', i + 1 < n ? { depends: `p${i + 1} (>= 1.0)` } : {}));
    expect(() =>
      resolveClosure({
        files: [{ packages: chain(30_000), priority: 500 }],
        architecture: 'amd64',
        installed: [],
        requests: parseRelations('p0').flat(),
        recommends: false,
      }),
    ).toThrow(/runs deeper than 500 packages/);
    const n = 450;
    const packages = Array.from({ length: n }, (_, i) => pkg(`p${i}`, '1.0', i + 1 < n ? { depends: `p${i + 1} (>= 1.0)` } : {}));
    const closure = resolveClosure({
      files: [{ packages, priority: 500 }],
      architecture: 'amd64',
      installed: [],
      requests: parseRelations('p0').flat(),
      recommends: false,
    });
    expect(closure.install).toHaveLength(n);
  });

  it('reports conflicts with chosen and installed packages, and names the chain of an unsatisfiable dependency', () => {
    const universe = {
      files: [
        {
          packages: [pkg('a', '1', { depends: 'b', conflicts: 'c' }), pkg('b', '1', { depends: 'd (>= 2)' }), pkg('d', '1.9')],
          priority: 500,
        },
      ],
      architecture: 'amd64',
    };
    expect(() => resolveClosure({ ...universe, installed: [], requests: parseRelations('a').flat(), recommends: false })).toThrow(
      'cannot resolve the apt packages:\n  requested a\n  → a 1 Depends: b\n  → b 1 Depends: d (>= 2)\n  nothing satisfies d (>= 2): d: candidate 1.9',
    );
    const ok = { files: [{ packages: [pkg('a', '1', { conflicts: 'c' })], priority: 500 }], architecture: 'amd64' };
    expect(
      resolveClosure({ ...ok, installed: [pkg('c', '3')], requests: parseRelations('a').flat(), recommends: false }).conflicts,
    ).toEqual(['apt-get would remove c 3 (installed): a 1 Conflicts c']);
  });
});

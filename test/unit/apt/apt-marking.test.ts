import { describe, expect, it } from 'vitest';
import type { IndexFile, Package } from '../../../src/kinds/apt/package-index.js';
import { parseRelations } from '../../../src/kinds/apt/relations.js';
import { resolveClosure } from '../../../src/kinds/apt/resolve-closure.js';

type Fields = Partial<Record<'depends' | 'breaks' | 'provides' | 'source', string>> & { priority?: number; essential?: boolean };
const pkg = (name: string, version: string, f: Fields = {}): Package => {
  const src = /^(\S+)(?: \((\S+)\))?$/.exec(f.source ?? name) as RegExpExecArray;
  return {
    name,
    version,
    architecture: 'amd64',
    depends: parseRelations(f.depends),
    preDepends: [],
    recommends: [],
    conflicts: [],
    breaks: parseRelations(f.breaks),
    provides: parseRelations(f.provides).flat(),
    extra: {
      priority: f.priority ?? 4,
      essential: f.essential ?? false,
      important: false,
      source: src[1] as string,
      sourceVersion: src[2] ?? version,
    },
  };
};
const solve = (files: IndexFile[], installed: Package[], requests: string) =>
  resolveClosure({ files, architecture: 'amd64', installed, requests: parseRelations(requests).flat(), recommends: false });
const names = (c: { install: Package[] }) => c.install.map((p) => `${p.name} ${p.version}`);
const file = (...packages: Package[]): IndexFile => ({ packages, priority: 500 });

describe("apt's marking (apt-get install): choices that differ from the first name that fits", () => {
  it('takes the provider apt prefers: Essential, then the higher Priority, then the package created later; not the first by name', () => {
    const want = pkg('app', '1', { depends: 'awk' });
    const providers = [pkg('aaa-awk', '1', { provides: 'awk', priority: 4 }), pkg('mawk', '1', { provides: 'awk', priority: 1 })];
    expect(names(solve([file(want, ...providers)], [], 'app'))).toEqual(['app 1', 'mawk 1']);
    const essential = [pkg('aaa-awk', '1', { provides: 'awk', essential: true }), pkg('mawk', '1', { provides: 'awk', priority: 1 })];
    expect(names(solve([file(want, ...essential)], [], 'app'))).toEqual(['aaa-awk 1', 'app 1']);
    const tie = [pkg('aaa-awk', '1', { provides: 'awk' }), pkg('zzz-awk', '1', { provides: 'awk' })];
    expect(names(solve([file(want, ...tie)], [], 'app'))).toEqual(['app 1', 'zzz-awk 1']);
  });

  it('upgrades installed packages whose exact-version dependency the upgrade breaks, and binaries of the same source', () => {
    const installed = [
      pkg('systemd', '1'),
      pkg('libpam-systemd', '1', { depends: 'systemd (= 1)', source: 'systemd' }),
      pkg('libudev1', '1', { source: 'systemd' }),
    ];
    const archive = file(
      pkg('systemd', '2'),
      pkg('libpam-systemd', '2', { depends: 'systemd (= 2)', source: 'systemd' }),
      pkg('libudev1', '2', { source: 'systemd' }),
      pkg('unrelated', '2'),
    );
    expect(names(solve([archive], installed, 'systemd'))).toEqual(['libpam-systemd 2', 'libudev1 2', 'systemd 2']);
  });

  it('upgrades an installed package a new version Breaks, instead of leaving it to be removed', () => {
    const installed = [pkg('d', '1')];
    expect(names(solve([file(pkg('c', '1', { breaks: 'd (<< 2)' }), pkg('d', '2'))], installed, 'c'))).toEqual(['c 1', 'd 2']);
    const stuck = solve([file(pkg('c', '1', { breaks: 'd (<< 2)' }))], installed, 'c');
    expect(names(stuck)).toEqual(['c 1']);
    expect(stuck.conflicts).toEqual(['apt-get would remove d 1 (installed): c 1 Breaks d (<< 2)']);
  });

  it('honours pin priorities: NotAutomatic (1) only when nothing else has it, ButAutomaticUpgrades (100) upgrades what came from there', () => {
    const main = file(pkg('tool', '1'), pkg('lib', '1'));
    const experimental: IndexFile = { packages: [pkg('tool', '3'), pkg('lib', '3'), pkg('only-here', '3')], priority: 1 };
    expect(names(solve([main, experimental], [], 'tool, only-here'))).toEqual(['only-here 3', 'tool 1']);
    const backports: IndexFile = { packages: [pkg('tool', '2'), pkg('lib', '2')], priority: 100 };
    expect(names(solve([main, backports], [], 'tool'))).toEqual(['tool 1']);
    // Installed at 1.5 (from backports once): the newer backport at the same priority is its candidate.
    expect(names(solve([main, backports], [pkg('tool', '1.5')], 'tool'))).toEqual(['tool 2']);
  });
});

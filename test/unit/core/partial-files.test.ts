import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  partialPath,
  releasePartial,
  removeOwnPartialsSync,
  removeStalePartials,
  removeStalePartialsUnder,
} from '../../../src/core/partial-files.js';

describe('temporary files beside outputs', () => {
  it('are named after the final file, this host and this process', () => {
    const p = partialPath('/out/b.tar');
    releasePartial(p);
    expect(p).toMatch(new RegExp(`^/out/b\\.tar\\.partial-[0-9a-f]{8}-${process.pid}-[0-9a-f]{8}$`));
  });

  it('removeStalePartials removes only those of dead processes on this host, under the given prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-partials-'));
    const host = /\.partial-([0-9a-f]{8})-/.exec(partialPath(join(dir, 'probe')))?.[1] as string;
    removeOwnPartialsSync();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const names = {
      dead: `b.tar.partial-${host}-${dead}-00000001`,
      deadLock: `b.tar.lock.json.partial-${host}-${dead}-00000002`,
      live: `b.tar.partial-${host}-${process.pid}-00000003`,
      otherHost: `b.tar.partial-ffffffff-${dead}-00000004`,
      otherBundle: `c.tar.partial-${host}-${dead}-00000005`,
      oldStyle: 'b.tar.partial-0123456789ab',
    };
    for (const n of Object.values(names)) writeFileSync(join(dir, n), 'x');
    expect((await removeStalePartials(dir, 'b.tar.')).sort()).toEqual([names.dead, names.deadLock].sort());
    expect(readdirSync(dir).sort()).toEqual([names.live, names.otherHost, names.otherBundle, names.oldStyle].sort());
  });

  it('removeStalePartialsUnder sweeps a whole tree (a stage directory), keeps live ones and never follows a symlink out', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ferry-partials-tree-'));
    const outside = mkdtempSync(join(tmpdir(), 'ferry-partials-outside-'));
    const host = /\.partial-([0-9a-f]{8})-/.exec(partialPath(join(root, 'probe')))?.[1] as string;
    removeOwnPartialsSync();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(join(root, 'apt', 'dists', 'ferry'), { recursive: true });
    mkdirSync(join(root, 'files'));
    const deadName = (n: string) => `${n}.partial-${host}-${dead}-0000000a`;
    writeFileSync(join(root, 'files', deadName('big.bin')), 'x');
    writeFileSync(join(root, 'apt', 'dists', 'ferry', deadName('Release')), 'x');
    writeFileSync(join(root, 'files', `live.bin.partial-${host}-${process.pid}-0000000b`), 'x');
    writeFileSync(join(outside, deadName('theirs')), 'x');
    symlinkSync(outside, join(root, 'files', 'link'));
    expect((await removeStalePartialsUnder(root)).sort()).toEqual([
      join('apt', 'dists', 'ferry', deadName('Release')),
      join('files', deadName('big.bin')),
    ]);
    expect(readdirSync(join(root, 'files')).sort()).toEqual(['link', `live.bin.partial-${host}-${process.pid}-0000000b`]);
    expect(readdirSync(outside)).toEqual([deadName('theirs')]);
    expect(await removeStalePartialsUnder(join(root, 'absent'))).toEqual([]);
  });

  it('removeOwnPartialsSync removes the files this process still holds, and forgets released ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-partials-'));
    const held = partialPath(join(dir, 'a'));
    const done = partialPath(join(dir, 'b'));
    writeFileSync(held, 'x');
    writeFileSync(done, 'x');
    releasePartial(done);
    removeOwnPartialsSync();
    expect(existsSync(held)).toBe(false);
    expect(readdirSync(dir)).toEqual([basename(done)]);
  });
});

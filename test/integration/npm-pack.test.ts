import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratch } from './ferry-env.js';

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const npm = (args: string[], cwd = process.cwd()) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// --ignore-scripts: the prepack script rebuilds dist/ from scratch, which other test files run at the same time;
// test.sh has built dist/ from this checkout already.
describe('npm pack: the package holds bin/ and the built dist/, and installs into a prefix as a working ferry', () => {
  const dir = scratch('ferry-pack-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('npm pack --dry-run --json lists bin/ferry, dist/cli/main.js and dist/build-info.json; no sources, tests or maps', () => {
    const [pack] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'])) as { files: { path: string }[] }[];
    const paths = (pack?.files ?? []).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['bin/ferry', 'dist/cli/main.js', 'dist/build-info.json', 'package.json', 'README.md']));
    expect(paths.filter((p) => !/^dist\/.*\.js(on)?$/.test(p))).toEqual(['README.md', 'bin/ferry', 'package.json']);
  });

  it('installing the tarball with npm install -g --prefix gives a ferry whose --version and version --json run', () => {
    const [pack] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir])) as { filename: string }[];
    const prefix = join(dir, 'prefix');
    npm(['install', '-g', '--prefix', prefix, join(dir, pack?.filename ?? ''), '--no-audit', '--no-fund'], dir);
    const ferry = join(prefix, 'bin', 'ferry');
    expect(execFileSync(ferry, ['--version'], { encoding: 'utf8' })).toBe(`${version}\n`);
    const info = JSON.parse(execFileSync(ferry, ['version', '--json'], { encoding: 'utf8' })) as { version: string; commit: string };
    expect(info).toMatchObject({ version, commit: JSON.parse(readFileSync('dist/build-info.json', 'utf8')).commit });
    expect(info.commit).toMatch(/^[0-9a-f]{40}$/);
  });
});

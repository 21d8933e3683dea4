import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, scratch } from './ferry-env.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('ferry version and --version', () => {
  it('version: the version, the commit the build came from, Node and the platform; --json the same as data', async () => {
    // What `npm run build` writes after tsc, and writes again byte for byte.
    execFileSync('node', ['scripts/write-build-info.mjs']);
    const first = readFileSync('dist/build-info.json');
    execFileSync('node', ['scripts/write-build-info.mjs']);
    expect(readFileSync('dist/build-info.json').equals(first)).toBe(true);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

    const json = await run(['version', '--json']);
    expect(json.code).toBe(0);
    const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64'] ?? process.arch;
    expect(JSON.parse(json.stdout)).toEqual({
      version: pkg.version,
      commit: head,
      node: process.version,
      platform: `${process.platform}/${arch}`,
    });
    const text = await run(['version']);
    expect(text.stdout).toBe(`ferry ${pkg.version}\ncommit   ${head}\nnode     ${process.version}\nplatform ${process.platform}/${arch}\n`);
  });

  it('outside a git checkout the commit is "unknown"', () => {
    const root = scratch();
    mkdirSync(join(root, 'scripts'));
    mkdirSync(join(root, 'dist'));
    copyFileSync('scripts/write-build-info.mjs', join(root, 'scripts', 'write-build-info.mjs'));
    execFileSync('node', [join(root, 'scripts', 'write-build-info.mjs')]);
    expect(JSON.parse(readFileSync(join(root, 'dist', 'build-info.json'), 'utf8'))).toEqual({ commit: 'unknown' });
  });

  it('--version and -V print the version number alone', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    }
  });
});

describe('help', () => {
  it("every subcommand's help lists the global options and marks required options", async () => {
    const pull = await run(['bundle', 'pull', '--help']);
    expect(pull.code).toBe(0);
    const [own, globals] = pull.stdout.split('Global Options:');
    expect(own).toMatch(/-o, --output <bundle\.tar>\s+bundle file to write \(required\)/);
    expect(own).toMatch(/--platform <platforms>/);
    for (const g of ['--json', '--no-progress', '-v, --verbose', '--debug']) expect(globals).toContain(g);
    expect(own).not.toMatch(/--lock <file>[^\n]*\(required\)/);
    expect(own).not.toContain('(default: [])');
    expect(own).toMatch(/--concurrency <n>\s+blob downloads in flight \(default: 8\)/);

    const push = await run(['bundle', 'push', '--help']);
    expect(push.stdout).toMatch(/--registry <host\[:port\]\[\/prefix\]>\s+target registry \(required\)/);
    expect(push.stdout).toContain('Global Options:');
    const inventory = await run(['registry', 'inventory', '--help']);
    expect(inventory.stdout.match(/\(required\)/g)).toHaveLength(2);
    const key = await run(['key', 'generate', '--help']);
    expect(key.stdout).toMatch(/--out <name>[^\n]*\(required\)/);
    expect(key.stdout).toContain('--debug');
  });

  it('global options work after the subcommand too', async () => {
    const r = await run(['version', '--json']);
    expect(JSON.parse(r.stdout).version).toBe(pkg.version);
  });
});

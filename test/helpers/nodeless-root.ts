import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A root directory that holds no Node: only the executable (as /ferry), the shared libraries `ldd` lists for it at
 * their own paths (the dynamic loader among them), /dev/null and /dev/urandom (mknod: needs root), /tmp and whatever
 * `extra` copies in. `chroot` into it keeps the network namespace, so test servers on loopback stay reachable.
 */
export function makeNodelessRoot(root: string, exe: string, extra: Record<string, string> = {}): string {
  mkdirSync(join(root, 'dev'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync(exe, join(root, 'ferry'));
  chmodSync(join(root, 'ferry'), 0o755);
  const libs = [...execFileSync('ldd', [exe], { encoding: 'utf8' }).matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] as string);
  if (!libs.some((l) => /ld-linux/.test(l))) throw new Error(`ldd ${exe} names no dynamic loader`);
  for (const lib of libs) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
  for (const [name, minor] of [
    ['null', 3],
    ['urandom', 9],
  ] as const)
    execFileSync('mknod', ['-m', '666', join(root, 'dev', name), 'c', '1', String(minor)]);
  for (const [to, from] of Object.entries(extra)) {
    mkdirSync(join(root, dirname(to)), { recursive: true });
    copyFileSync(from, join(root, to));
  }
  return root;
}

/** Every path under `root`, relative, sorted: what the chroot holds. */
export function listRoot(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).sort();
}

export function hasNode(root: string): boolean {
  return listRoot(root).some((p) => /(^|\/)node(js)?$/.test(p) || p.includes('node_modules'));
}

const chroot = execFileSync('sh', ['-c', 'command -v chroot'], { encoding: 'utf8' }).trim();

/**
 * Runs /ferry ARGS inside `root` with a bare environment (no PATH to a Node, no NODE_* variables); `env` adds
 * variables (DOCKER_CONFIG, …) and `input` is written to standard input (a --password-stdin password).
 */
export function runInRoot(
  root: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      chroot,
      [root, '/ferry', ...args],
      { env: { HOME: '/tmp', PATH: '/', ...(opts.env ?? {}) }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

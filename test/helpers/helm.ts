import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';

/** The real Helm binary scripts/install-test-deps.sh installs (v4.1.4), or FERRY_TEST_HELM. */
export const HELM = process.env.FERRY_TEST_HELM ?? fileURLToPath(new URL('../../.tools/helm/helm', import.meta.url));

/**
 * The shared upstream charts (shared/fixtures/charts/README.md, beside the project), packaged by real Helm:
 * FERRY_SHARED_CHARTS, else the first `shared/fixtures/charts` found beside the clone or one of its ancestors (a
 * worktree or a fresh clone sits deeper than the main checkout), else /work/shared/fixtures/charts.
 */
export const SHARED_CHARTS = process.env.FERRY_SHARED_CHARTS ?? findShared();

function findShared(): string {
  let dir = dirname(fileURLToPath(new URL('../../', import.meta.url)));
  for (;;) {
    const here = join(dir, 'shared', 'fixtures', 'charts');
    if (existsSync(join(here, 'README.md'))) return here;
    const up = dirname(dir);
    if (up === dir) return '/work/shared/fixtures/charts';
    dir = up;
  }
}

/** A chart of the shared set, or a values file under its values/. */
export const sharedChart = (file: string): string => join(SHARED_CHARTS, file);

export function requireSharedCharts(): boolean {
  if (existsSync(join(SHARED_CHARTS, 'README.md'))) return true;
  const msg = `missing the shared charts at ${SHARED_CHARTS} (set FERRY_SHARED_CHARTS)`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`skipping: ${msg}`);
  return false;
}

/**
 * Is the real Helm there? Locally a missing Helm skips the test with a message; under CI it fails loudly, like
 * requireTools: a green run that never asked Helm proves nothing about charts.
 */
export function requireHelm(): boolean {
  if (existsSync(HELM)) return true;
  const msg = `missing Helm at ${HELM} (run: bash scripts/install-test-deps.sh)`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`skipping: ${msg}`);
  return false;
}

/** Runs the real Helm; stdout as text. Throws with Helm's stderr on failure. */
export function helm(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(HELM, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...helmHomes, ...opts.env },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs the real Helm without blocking the event loop: for a Helm talking to a server in this test process (a
 * loopback chart repository), which execFileSync would starve.
 */
export async function helmAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(HELM, args, {
    env: { ...process.env, ...helmHomes, ...opts.env },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  return stdout;
}

/** Helm's own state (repositories, registry logins, cache) kept out of the user's home, one set per test process. */
const helmRoot = join(tmpdir(), `ferry-test-helm-${process.pid}`);
export const helmHomes = {
  HELM_CACHE_HOME: join(helmRoot, 'cache'),
  HELM_CONFIG_HOME: join(helmRoot, 'config'),
  HELM_DATA_HOME: join(helmRoot, 'data'),
};

/**
 * The images in `helm template` output, found the simple way, line by line, apart from ferry's object walk: every
 * `image: X` line with its value on the line, and every `- --flag=HOST/REPO:TAG` argument line whose HOST has a dot or
 * a port; each normalised as Docker does (no registry: docker.io, one component: library/, no tag: latest).
 */
export function imagesByLines(out: string): string[] {
  const norm = (r: string) => {
    let parts = r.split('/');
    if (parts.length === 1 || !(/[.:]/.test(parts[0] as string) || parts[0] === 'localhost'))
      parts = ['docker.io', ...(parts.length === 1 ? ['library'] : []), ...parts];
    const s = parts.join('/');
    return /:[^/]+$/.test(s) || s.includes('@') ? s : `${s}:latest`;
  };
  const refs = new Set<string>();
  for (const line of out.split('\n')) {
    const image = /^\s*(?:-\s+)?image:\s+["']?([^"'\s]+)["']?\s*$/.exec(line);
    if (image) refs.add(norm(image[1] as string));
    const arg =
      /^\s*-\s+["']?--[\w.-]+=((?:[a-z0-9-]+\.)+[a-z0-9-]+(?::\d+)?\/[a-z0-9._/-]+(?::[\w.-]+|@sha256:[0-9a-f]{64}))["']?\s*$/.exec(line);
    if (arg) refs.add(norm(arg[1] as string));
  }
  return [...refs].sort();
}

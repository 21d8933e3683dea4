import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one Helm run left: its exit status, its output (bounded), and why it was stopped, if it was. */
export interface HelmOutcome {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** `timeout` or `too much output`: ferry ended it. */
  stopped?: 'timeout' | 'too much output';
}

export interface RunOptions {
  /** The private directory Helm runs in: its state (cache, config, data) and HOME. */
  home: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  maxStdout: number;
}

/** Helm's error output is a few lines; more is kept no further than this. */
const MAX_STDERR = 64 << 10;

/**
 * A private directory for one Helm run, always removed: Helm's state (HELM_CACHE_HOME, HELM_CONFIG_HOME,
 * HELM_DATA_HOME; helm pkg/cli/environment.go) and HOME point into it, so rendering reads and writes nothing of the
 * user's (no repositories, registry logins or plugins of theirs).
 */
export async function withHelmHome<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-helm-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The environment Helm gets: its homes in `home` and nothing of the caller's but PATH, so no credential in the
 * environment (HELM_KUBETOKEN, a KUBECONFIG, registry logins) reaches it, and no plugin runs.
 */
function helmEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    HELM_NO_PLUGINS: '1',
    KUBECONFIG: join(home, 'kubeconfig'),
  };
}

/**
 * Runs Helm once, without a shell, bounded in time and output; the abort signal kills it. Rejects with the spawn
 * error (ENOENT, EACCES) when it cannot start, with the signal's reason when aborted; resolves otherwise.
 */
export function runHelm(path: string, args: string[], opts: RunOptions): Promise<HelmOutcome> {
  opts.signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    // Its own process group, so that stopping it stops whatever it started too.
    const child = spawn(path, args, { cwd: opts.home, env: helmEnv(opts.home), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outSize = 0;
    let errSize = 0;
    let stopped: HelmOutcome['stopped'] | 'aborted';
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const stop = (why: NonNullable<typeof stopped>) => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already
      }
    };
    const onAbort = () => stop('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stopped) return;
      outSize += chunk.length;
      if (outSize > opts.maxStdout) stop('too much output');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errSize >= MAX_STDERR) return;
      errSize += chunk.length;
      err.push(chunk);
    });
    child.on('error', (e) => finish(() => reject(e)));
    const done = (code: number | null) =>
      finish(() => {
        if (stopped === 'aborted') return reject(opts.signal?.reason);
        resolve({
          code,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err).toString('utf8').slice(0, MAX_STDERR),
          ...(stopped ? { stopped } : {}),
        });
      });
    // Stopped: done when it exits, whoever still holds its pipes; else when its output has all been read.
    child.on('exit', (code) => {
      if (!stopped) return;
      child.stdout.destroy();
      child.stderr.destroy();
      done(code);
    });
    child.on('close', done);
  });
}

/**
 * What Helm said went wrong, as it wrote it: its `Error:` line and the lines that continue it (a schema failure
 * lists one per value), up to the blank line or the `--debug` hint that ends them; else its last lines. Kept short.
 */
export function helmErrorText(stderr: string): string {
  const lines = stderr.replace(/\r/g, '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('Error:'));
  let picked: string[];
  if (start < 0) picked = lines.filter((l) => l.trim() !== '').slice(-5);
  else {
    const end = lines.findIndex((l, i) => i > start && (l.trim() === '' || l.startsWith('Use --debug flag')));
    picked = lines.slice(start, end < 0 ? undefined : end);
  }
  const text = picked
    .slice(0, 20)
    .map((l) => l.trimEnd())
    .join('\n  ');
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

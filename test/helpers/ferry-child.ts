import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { type Server as NetServer, type Socket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './cleanup.js';

/** bin/ferry as a child process whose signals and exit a test controls (ferry-env's run() only waits for the end). */
export interface FerryChild {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `stdinOpen`: standard input is a pipe the test never closes (a command reading it waits forever). */
export function spawnFerry(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; stdinOpen?: boolean } = {},
): FerryChild {
  const proc = spawn('./bin/ferry', args, {
    env: { ...process.env, ...(opts.env ?? {}) },
    stdio: [opts.stdinOpen ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d) => (out += String(d)));
  proc.stderr?.on('data', (d) => (err += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  // A test that fails before the child ends must not leave it running (test/setup/cleanup.ts).
  const unregister = onCleanup(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  void exited.then(unregister);
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Sends `sig` and waits for the exit; `ms` is the time from the signal to the exit. */
export async function interrupt(child: FerryChild, sig: NodeJS.Signals = 'SIGINT', again?: number) {
  const sent = Date.now();
  child.proc.kill(sig);
  if (again !== undefined) setTimeout(() => child.proc.exitCode === null && child.proc.kill(sig), again);
  const guard = setTimeout(() => child.proc.kill('SIGKILL'), 20_000);
  const r = await child.exited;
  clearTimeout(guard);
  if (process.env.FERRY_TEST_TIMES)
    console.error(`exit ${r.code ?? r.signal} ${r.at - sent} ms after ${sig}: ${child.proc.spawnargs.slice(2, 4).join(' ')}`);
  return { code: r.code, signal: r.signal, ms: r.at - sent, stderr: child.stderr(), stdout: child.stdout() };
}

/** Polls until `pred` holds (or fails the test naming `what`). */
export async function until(pred: () => boolean, what: string, child?: FerryChild, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (child && child.proc.exitCode !== null) throw new Error(`ferry exited (${child.proc.exitCode}) before ${what}: ${child.stderr()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${child ? `: ${child.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Names in `dir` (none when it does not exist). */
export function ls(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** A TCP server that accepts connections and never answers (a registry or file server that hangs before headers). */
export async function startSilentServer(): Promise<{ url: string; connections: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server: NetServer = createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('data', () => {});
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    stop: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

/** Size of a file, or -1. */
export function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

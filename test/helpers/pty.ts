import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onCleanup } from './cleanup.js';

/**
 * bin/ferry on a real pseudo-terminal: a tmux server of the test's own (its own socket, so nothing is shared with a
 * person's tmux), one window of a fixed size, the command run by a shell that records its exit status and how long
 * it ran. The screen is read back with capture-pane, which is what a person would see (wrapped, overwritten, with
 * the bar's redraws applied); `raw()` is every byte the program wrote to the terminal (pipe-pane), for the escape
 * sequences that restore the cursor and line wrap.
 */
export interface Pty {
  /** The screen as a person sees it now (trailing blank lines dropped). */
  screen(): string;
  /** The screen with all the scrollback above it (capture-pane -S -): what scrolling up would show. */
  history(): string;
  /** Every byte written to the terminal so far. */
  raw(): string;
  /** Types keys, tmux send-keys syntax: 'C-c', 'Enter', or literal text with `literal`. */
  keys(keys: string, literal?: boolean): void;
  /** Waits until the command has exited: its status, how long it ran, and when it ended (epoch ms). */
  exited(timeoutMs?: number): Promise<{ code: number; ms: number; at: number }>;
  /** Waits until `pattern` is on the screen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export interface PtyOptions {
  cols?: number;
  rows?: number;
  cwd?: string;
  env?: Record<string, string>;
}

const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function openPty(command: string, opts: PtyOptions = {}): Pty {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pty-'));
  const socket = join(dir, 'tmux.sock');
  const status = join(dir, 'status');
  const rawFile = join(dir, 'raw');
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  const env = Object.entries({ TERM: 'xterm-256color', ...(opts.env ?? {}) })
    .map(([k, v]) => `${k}=${shq(v)}`)
    .join(' ');
  // The shell records the start, runs the command, then writes "<status> <ms>"; it then waits so the pane (and its
  // screen) stays readable after the command ended. The shell traps SIGINT (a no-op) so that a Ctrl-C typed at the
  // command does not end the shell too (dash would, before recording the status); the command gets SIGINT as usual.
  const script = `trap : INT; s=$(date +%s%3N); env ${env} ${command}; c=$?; e=$(date +%s%3N); echo "$c $((e - s)) $e" > ${shq(status)}; sleep 600`;
  tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-x',
    String(opts.cols ?? 160),
    '-y',
    String(opts.rows ?? 40),
    '-c',
    opts.cwd ?? ROOT,
    'sh',
    '-c',
    script,
  );
  tmux('pipe-pane', '-o', `cat >> ${shq(rawFile)}`);
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  const pty: Pty = {
    screen: () => tmux('capture-pane', '-p', '-J').replace(/\n+$/, ''),
    history: () => tmux('capture-pane', '-p', '-J', '-S', '-').replace(/\n+$/, ''),
    raw: () => read(rawFile),
    // `--`: literal text may start with a dash (a flag typed at a prompt).
    keys: (keys, literal) => void tmux('send-keys', ...(literal ? ['-l', '--'] : []), keys),
    async exited(timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (!read(status)) {
        if (Date.now() > end) throw new Error(`${command}: still running after ${timeoutMs} ms on the terminal; screen:\n${pty.screen()}`);
        await sleep(20);
      }
      const [code, ms, at] = read(status).trim().split(' ').map(Number);
      return { code: code as number, ms: ms as number, at: at as number };
    },
    async waitFor(pattern, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const s = pty.screen();
        if (pattern.test(s)) return s;
        if (Date.now() > end) throw new Error(`${pattern} never appeared on the terminal; screen:\n${s}`);
        await sleep(20);
      }
    },
    close() {
      unregister();
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // A test that fails before its close() still ends its tmux server (test/setup/cleanup.ts).
  const unregister = onCleanup(() => pty.close());
  return pty;
}

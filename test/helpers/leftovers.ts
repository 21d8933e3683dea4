import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Processes left behind by a run (a test suite, the demo): every process started under the run inherits one marker
 * variable (NAME=VALUE) in its environment, daemons included (gpg-agent, a tmux server, a registry), so the run's
 * leftovers are the live processes whose /proc/PID/environ holds the marker, whatever other runs share the machine.
 */
export interface Leftover {
  pid: number;
  comm: string;
  args: string;
}

const read = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Live processes carrying `name=value`, except `exclude` (the run's own process and its parents). */
export function findMarked(name: string, value: string, exclude: number[] = [process.pid]): Leftover[] {
  const marker = `${name}=${value}`;
  const found: Leftover[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (exclude.includes(pid)) continue;
    if (!read(`/proc/${pid}/environ`).split('\0').includes(marker)) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (/^\d+ \(.*\) Z /s.test(stat)) continue; // a zombie holds nothing; its parent reaps it
    found.push({ pid, comm: read(`/proc/${pid}/comm`).trim(), args: read(`/proc/${pid}/cmdline`).split('\0').join(' ').trim() });
  }
  return found;
}

/** "pid comm args" lines, for a failure message. */
export function describe(procs: Leftover[]): string {
  return procs.map((p) => `${p.pid} ${p.comm}: ${p.args}`).join('\n');
}

/**
 * Stops `procs`: a gpg-agent through `gpgconf --homedir HOME --kill all` (as gpg would), anything else with SIGTERM,
 * then SIGKILL for what is still alive after `graceMs`.
 */
export async function reap(procs: Leftover[], graceMs = 2000): Promise<void> {
  for (const p of procs) {
    const home = /--homedir (\S+)/.exec(p.args)?.[1];
    if (p.comm === 'gpg-agent' && home) {
      try {
        execFileSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore', timeout: 5000 });
        continue;
      } catch {
        // its home is gone: signal it like the others
      }
    }
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const end = Date.now() + graceMs;
  const alive = () => procs.filter((p) => read(`/proc/${p.pid}/environ`) !== '' && !/^\d+ \(.*\) Z /s.test(read(`/proc/${p.pid}/stat`)));
  while (alive().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  for (const p of alive()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Waits up to `graceMs` for the marked processes to end by themselves; returns those still running. */
export async function settle(name: string, value: string, graceMs = 2000, exclude: number[] = [process.pid]): Promise<Leftover[]> {
  const end = Date.now() + graceMs;
  for (;;) {
    const left = findMarked(name, value, exclude);
    if (left.length === 0 || Date.now() >= end) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

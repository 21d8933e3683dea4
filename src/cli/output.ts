import { FerryError } from '../core/errors.js';
import { errnoOf } from '../core/fs-errors.js';
import { interruptSignal } from './abort.js';
import { exitCodeFor } from './exit-codes.js';
import { ProgressRenderer } from './progress.js';
import { terminalSafe } from '../validate/untrusted-text.js';
import { scrub, scrubValue } from './scrub.js';

export interface GlobalFlags {
  json?: boolean;
  progress?: boolean; // commander's --no-progress sets this false
}

/** What every command gets: an event sink to hand to the library, and a way to print its result. */
export interface Session {
  renderer: ProgressRenderer;
  json: boolean;
  /** Aborts on SIGINT / SIGTERM (src/cli/abort.ts): hand it to every library call and to the registry client. */
  signal: AbortSignal;
  /** Prints the final result: JSON on stdout with --json, else the human text. */
  done(result: unknown, human: string): void;
}

const renderers = new Set<ProgressRenderer>();

/** Stops every live progress display (before an error or "interrupted" line, and on every exit path). */
export function stopRenderers(): void {
  for (const r of renderers) r.stop();
}

export function openSession(flags: GlobalFlags): Session {
  const json = flags.json === true;
  const stream = process.stderr;
  const renderer = new ProgressRenderer({ tty: Boolean(stream.isTTY) && !json, quiet: flags.progress === false || json, heartbeat: !json, stream });
  renderers.add(renderer);
  return {
    renderer,
    json,
    signal: interruptSignal(),
    done(result, human) {
      renderer.stop();
      if (json) process.stdout.write(`${JSON.stringify(scrubValue(toPlain(result)), null, 2)}\n`);
      // Human text names what a bundle holds: no byte of it may reach the terminal as a control sequence.
      else process.stdout.write(terminalSafe(scrub(human.endsWith('\n') ? human : `${human}\n`)));
    },
  };
}

/** Prints an error the way a person (or, with --json, a machine) can act on, and returns the exit code. */
export function reportError(err: unknown, json: boolean): number {
  stopRenderers();
  const fe = err instanceof FerryError ? err : fromErrno(err);
  const code = exitCodeFor(fe?.code);
  const message = scrub(err instanceof Error ? err.message : String(err));
  if (json) {
    const details = scrubValue(toPlain(fe?.details ?? {}));
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code: fe?.code ?? 'INTERNAL', message, details } }, null, 2)}\n`);
  } else {
    process.stderr.write(`ferry: error${fe ? ` [${fe.code}]` : ''}: ${terminalSafe(message)}\n`);
    if (!fe && err instanceof Error && err.stack && process.env.FERRY_DEBUG) process.stderr.write(`${scrub(err.stack)}\n`);
  }
  return code;
}

/** A value as JSON.stringify would see it (class instances, toJSON), so scrubbing walks plain data only. */
function toPlain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** A raw Node file-system error that reached the CLI: still a code (IO_ERROR), the path and the errno. */
function fromErrno(err: unknown): FerryError | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  const errno = errnoOf(e);
  if (!errno || !(e instanceof Error)) return undefined;
  return new FerryError('IO_ERROR', e.message, { errno, ...(e.path ? { path: e.path } : {}), ...(e.syscall ? { syscall: e.syscall } : {}) });
}

export { formatBytes, plural } from './units.js';

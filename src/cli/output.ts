import { type ErrorCode, FerryError } from '../core/errors.js';
import { errnoOf } from '../core/fs-errors.js';
import { interruptSignal } from './abort.js';
import { exitCodeFor } from './exit-codes.js';
import { ProgressRenderer } from './progress.js';
import { terminalSafe } from '../validate/untrusted-text.js';
import { scrub, scrubValue } from './scrub.js';
import { runningHelp } from './usage.js';

export interface GlobalFlags {
  json?: boolean;
  progress?: boolean; // commander's --no-progress sets this false
  verbose?: boolean;
  debug?: boolean;
}

/** What every command gets: an event sink to hand to the library, and a way to print its result. */
export interface Session {
  renderer: ProgressRenderer;
  json: boolean;
  /** Aborts on SIGINT / SIGTERM (src/cli/abort.ts): hand it to every library call and to the registry client. */
  signal: AbortSignal;
  /** Prints the final result: JSON on stdout with --json, else the human text. */
  done(result: unknown, human: string): void;
  /** Prints a document that is the result itself (an SBOM on stdout), as it is, whatever --json says. */
  doneWith(body: Buffer): void;
}

const renderers = new Set<ProgressRenderer>();
let resultPrinted = false;

/** Has a command got to printing its result (its work is done)? A broken pipe then loses only output (broken-pipe.ts). */
export function resultWasPrinted(): boolean {
  return resultPrinted;
}

/** Stops every live progress display (before an error or "interrupted" line, and on every exit path). */
export function stopRenderers(): void {
  for (const r of renderers) r.stop();
}

export function openSession(flags: GlobalFlags): Session {
  const json = flags.json === true;
  const stream = process.stderr;
  const renderer = new ProgressRenderer({
    tty: Boolean(stream.isTTY) && !json,
    quiet: flags.progress === false || json,
    heartbeat: !json,
    stream,
    verbose: flags.verbose === true,
    debug: flags.debug === true,
  });
  renderers.add(renderer);
  return {
    renderer,
    json,
    signal: interruptSignal(),
    done(result, human) {
      renderer.stop();
      resultPrinted = true;
      if (json) process.stdout.write(`${JSON.stringify(scrubValue(toPlain(result)), null, 2)}\n`);
      // Human text names what a bundle holds: no byte of it may reach the terminal as a control sequence.
      else process.stdout.write(terminalSafe(scrub(human.endsWith('\n') ? human : `${human}\n`)));
    },
    doneWith(body) {
      renderer.stop();
      resultPrinted = true;
      process.stdout.write(body);
    },
  };
}

/**
 * Prints an error the way a person (or, with --json, a machine) can act on, and returns the exit code: one line,
 * `ferry: error [CODE]: message`, a usage error ending with the help to read (`see 'ferry bundle push --help'`).
 */
export function reportError(err: unknown, json: boolean): number {
  stopRenderers();
  restoreTerminal();
  const fe = err instanceof FerryError ? err : fromErrno(err);
  const code = worstExitCode(fe);
  const help = fe?.code === 'USAGE' ? (typeof fe.details.help === 'string' ? fe.details.help : runningHelp()) : undefined;
  const message = scrub(err instanceof Error ? err.message : String(err));
  if (json) {
    const details = scrubValue(toPlain({ ...(fe?.details ?? {}), ...(help ? { help } : {}) }));
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code: fe?.code ?? 'INTERNAL', message, details } }, null, 2)}\n`);
  } else {
    process.stderr.write(`ferry: error${fe ? ` [${fe.code}]` : ''}: ${terminalSafe(message)}${help ? `; see '${help}'` : ''}\n`);
    if (!fe && err instanceof Error && err.stack && process.env.FERRY_DEBUG) process.stderr.write(`${scrub(err.stack)}\n`);
  }
  return code;
}

/** An error that lists several failures (pull's resolve step: details.failures[].code) exits with the worst. */
function worstExitCode(fe: FerryError | undefined): number {
  const failures = Array.isArray(fe?.details.failures) ? (fe.details.failures as { code?: ErrorCode }[]) : [];
  return Math.max(exitCodeFor(fe?.code), ...failures.map((f) => exitCodeFor(f.code)));
}

/**
 * Cursor shown, line wrap on: whatever a progress display left behind, the error line that follows is whole on the
 * screen (written only to a terminal; a pipe or file gets no escape sequences).
 */
export function restoreTerminal(): void {
  if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h');
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
  return new FerryError('IO_ERROR', e.message, {
    errno,
    ...(e.path ? { path: e.path } : {}),
    ...(e.syscall ? { syscall: e.syscall } : {}),
  });
}

export { formatBytes, plural } from '../core/units.js';

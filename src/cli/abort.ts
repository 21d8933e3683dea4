import { setMaxListeners } from 'node:events';
import { constants } from 'node:os';
import { removeOwnPartialsSync } from '../core/partial-files.js';
import { FerryError } from '../core/errors.js';

/**
 * The CLI's one abort path. SIGINT and SIGTERM abort a single AbortController whose signal every command hands to
 * the library (the registry client and file downloads, the bundle writer, verify, push). The command then unwinds —
 * the writer removes its temporary file, partial downloads stay in the cache for the next run — and main() prints
 * one line, "ferry: interrupted", and exits 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), the shell
 * convention. Should unwinding take longer than GRACE_MS, or a second signal arrive, the process exits at once,
 * removing the temporary files it still has open (the next run removes any a harder kill leaves behind), and ends by
 * the signal itself (the shell's status is the same 130 / 143).
 */
export const GRACE_MS = 1000;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type Handled = (typeof SIGNALS)[number];

export interface Interrupt {
  readonly signal: AbortSignal;
  /** The signal received, once one was. */
  readonly received: Handled | undefined;
  /** The running command ends on a signal by design (serve): then it is a normal end, exit 0. */
  expected: boolean;
  /** 128 + the signal's number. */
  exitCode(): number;
  /** "ferry: interrupted" on stderr (and, with --json, the error document on stdout), once per process. */
  printOnce(): void;
  /** Prints that line and ends the process by the signal: for the grace timer and a second signal. */
  exitNow(): never;
  /** After the command unwound: exit with 128 + the signal's number as soon as no thread-pool work is pending. */
  exitWhenIdle(): void;
}

/**
 * Work in Node's thread pool (file-system calls, DNS lookups, zlib, crypto jobs). process.exit() joins the pool, so
 * it is safe to call only when none is pending: a read of a FIFO or a lookup against a dead resolver never returns.
 */
const POOL_WORK = /^(FSReq|GetAddrInfo|GetNameInfo|FileHandle|Zlib)|Job$/;
const poolIdle = () => !process.getActiveResourcesInfo().some((r) => POOL_WORK.test(r));

let current: Interrupt | undefined;

/** The process's interrupt (installed by main(); a library caller that never installs one gets a signal that never fires). */
export function interruptSignal(): AbortSignal {
  return current?.signal ?? new AbortController().signal;
}

/** For a command that runs until Ctrl-C (serve): the signal is how it ends, not an interruption. */
export function signalEndsCommand(): void {
  if (current) current.expected = true;
}

export function installInterrupt(beforeExit: () => void, json: boolean): Interrupt {
  const controller = new AbortController();
  // Every request in flight listens to this one signal (undici removes its listener when the request ends), so the
  // count follows --concurrency: no leak, and Node's "possible memory leak" warning at 11 would be noise on stderr.
  setMaxListeners(0, controller.signal);
  let received: Handled | undefined;
  let printed = false;
  const interrupt: Interrupt = {
    signal: controller.signal,
    expected: false,
    get received() {
      return received;
    },
    exitCode: () => 128 + (received ? constants.signals[received] : constants.signals.SIGINT),
    exitNow() {
      beforeExit();
      removeOwnPartialsSync();
      interrupt.printOnce();
      // Not process.exit(): Node's exit joins its thread pool, and a thread stuck in a read of a FIFO, a hung NFS
      // mount or a DNS lookup would hold the process there. The signal's default action ends it at once; the shell
      // sees the same status, 128 + the signal's number.
      const sig = received ?? 'SIGINT';
      for (const s of SIGNALS) process.removeAllListeners(s);
      process.kill(process.pid, sig);
      process.exit(interrupt.exitCode()); // not reached once the signal is delivered
    },
    exitWhenIdle() {
      const code = interrupt.exitCode();
      process.exitCode = code;
      if (poolIdle()) process.exit(code);
      setInterval(() => poolIdle() && process.exit(code), 10).unref(); // the grace timer is the backstop
    },
    printOnce() {
      if (printed) return;
      printed = true;
      if (json) {
        const error = { code: 'INTERRUPTED', message: `interrupted by ${received ?? 'SIGINT'}`, details: { signal: received ?? 'SIGINT' } };
        process.stdout.write(`${JSON.stringify({ ok: false, error }, null, 2)}\n`);
      }
      process.stderr.write('ferry: interrupted\n');
    },
  };
  const onSignal = (sig: Handled) => {
    if (received) return interrupt.exitNow();
    received = sig;
    if (interrupt.expected) return void controller.abort(new FerryError('INTERRUPTED', `stopped by ${sig}`, { signal: sig }));
    controller.abort(new FerryError('INTERRUPTED', `interrupted by ${sig}`, { signal: sig }));
    setTimeout(() => interrupt.exitNow(), GRACE_MS).unref();
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  current = interrupt;
  return interrupt;
}

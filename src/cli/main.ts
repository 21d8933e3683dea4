import { CommanderError } from 'commander';
import { FerryError } from '../core/errors.js';
import { type Interrupt, installInterrupt } from './abort.js';
import { ExitCode } from './exit-codes.js';
import { buildProgram } from './program.js';
import { reportError, resultWasPrinted, stopRenderers } from './output.js';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { oneLineUsageErrors, runningHelp } from './usage.js';

/**
 * Last line of defence for nodejs/undici#5360: undici 7 can throw an assertion from a socket event when a server
 * closes a connection that is not kept alive under a paused download. src/registry/paused-end-guard.ts keeps that
 * from happening (every framing, FIN or reset); should it happen anyway (a socket the guard could not pair with its
 * request), it cannot be caught where the request was made, so it is turned into a plain error here instead of a
 * stack trace. After Ctrl-C, an error thrown from an aborted stream is the interruption, reported as such.
 */
function guardUncaught(interrupt: Interrupt): void {
  process.on('uncaughtException', (err: Error & { code?: string }) => {
    stopRenderers();
    if (interrupt.received) interrupt.exitNow();
    if (err?.code === 'ERR_ASSERTION' && /undici/.test(err.stack ?? '')) {
      process.stderr.write(
        'ferry: error [NETWORK_ERROR]: a server closed the connection in the middle of a download (nodejs/undici#5360).\n' +
          'Run the command again: downloads resume from the cache. A mirror that keeps connections alive (HTTP/1.1) avoids this.\n',
      );
      process.exit(ExitCode.Error);
    }
    // A bug: say so in one line (the stack only with FERRY_DEBUG), exit 1 rather than Node's 7.
    process.stderr.write(`ferry: internal error: ${err?.message ?? String(err)}\n${process.env.FERRY_DEBUG ? `${err?.stack}\n` : ''}`);
    process.exit(ExitCode.Error);
  });
}

/**
 * After an error is printed nothing more is to be done, and nothing still in flight (another image's resolve, a
 * retry's wait, a socket) may hold the process: it ends within ERROR_EXIT_MS, or at once when nothing is left. The
 * timer is unref'd: it keeps nothing alive, it only cuts a wait short.
 */
const ERROR_EXIT_MS = 250;
function endSoonAfterError(): void {
  setTimeout(() => process.exit(), ERROR_EXIT_MS).unref();
}

/** Entry point used by bin/ferry. Returns (and sets) the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const interrupt = installInterrupt(stopRenderers, json);
  guardUncaught(interrupt);
  // --debug also shows the stack of an internal error (as FERRY_DEBUG does).
  if (argv.includes('--debug')) process.env.FERRY_DEBUG ??= '1';
  const program = buildProgram();
  // Work is done once the result is being printed, or when no command ran at all (help, version, a usage error).
  exitQuietlyOnBrokenPipe(() => resultWasPrinted() || runningHelp() === undefined, stopRenderers);
  // After every command is registered: unknown options, missing arguments and bad values in one line each.
  oneLineUsageErrors(program);

  try {
    await program.parseAsync(argv);
    process.exitCode = ExitCode.Ok;
    // A signal is an interruption even when the command got to its end as it arrived (exit 130 says "not done";
    // re-running is cheap), except for serve, which runs until Ctrl-C by design.
    if (interrupt.received && !interrupt.expected) throw interrupt.signal.reason;
    if (interrupt.received) process.exit(ExitCode.Ok);
  } catch (err) {
    if (interrupt.received && !interrupt.expected) {
      // Whatever the aborted command threw ("The operation was aborted", a network error), the cause is the signal.
      stopRenderers();
      interrupt.printOnce();
      // Exit at once unless work is stuck in Node's thread pool (then the grace timer ends the process by the signal).
      interrupt.exitWhenIdle();
    } else if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; `ferry bundle` alone has shown its help (exit 2).
      process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    } else if (err instanceof FerryError && err.code === 'INTEGRITY_FAILED' && err.details.reported) {
      process.exitCode = ExitCode.Integrity; // verify already printed its findings
    } else {
      process.exitCode = reportError(err, json);
    }
    if (!interrupt.received) endSoonAfterError();
  } finally {
    stopRenderers();
  }
  return process.exitCode as number;
}

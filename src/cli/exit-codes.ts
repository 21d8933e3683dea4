import { type ErrorCode, INTEGRITY_CODES } from '../core/errors.js';

/**
 * Documented in README "Exit codes". Only the CLI maps errors to exit codes. An interruption exits 128 + the signal's
 * number (130 SIGINT, 143 SIGTERM: src/cli/abort.ts), whatever error the aborted command unwound with; a closed
 * stdout or stderr while work is under way exits 141 (src/cli/broken-pipe.ts).
 */
export const ExitCode = { Ok: 0, Error: 1, Usage: 2, Integrity: 3 } as const;

export function exitCodeFor(code: ErrorCode | undefined): number {
  if (code === undefined) return ExitCode.Error;
  if (code === 'USAGE' || code === 'MANIFEST_INVALID' || code === 'LOCK_MISMATCH' || code === 'RKE2_SET_UNKNOWN') return ExitCode.Usage;
  if (INTEGRITY_CODES.has(code)) return ExitCode.Integrity;
  // TOO_LARGE (a download past --max-file-size) is a limit reached, not damage: exit 1 like other errors.
  return ExitCode.Error;
}

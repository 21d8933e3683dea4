import { type Command, CommanderError } from 'commander';
import { FerryError } from '../core/errors.js';

/**
 * Usage errors in one line: commander's own (unknown option, missing argument, bad value, unknown command) become
 * FerryError('USAGE') naming the help of the command that was typed, `see 'ferry bundle push --help'`, instead of
 * the whole help text; main() reports them like every other error (so `--json` gets the JSON error document).
 */

/** Commander exits that are not errors (help and version shown) or that already printed help (`ferry bundle`). */
const NOT_USAGE_ERRORS = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync']);

let running: string | undefined;

/** `ferry bundle push --help`: the help of a command, by its full name. */
export function helpFor(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return `${names.join(' ')} --help`;
}

/** The help of the command whose action is running (for USAGE errors its action throws), once one is. */
export function runningHelp(): string | undefined {
  return running;
}

/** Call after every command is registered: each one, and each added later under them, reports usage in one line. */
export function oneLineUsageErrors(program: Command): void {
  program.hook('preAction', (_program, action) => {
    running = helpFor(action);
  });
  const visit = (cmd: Command): void => {
    cmd.showHelpAfterError(false);
    cmd.configureOutput({ outputError: () => undefined });
    cmd.exitOverride((err: CommanderError) => {
      if (err.exitCode === 0 || NOT_USAGE_ERRORS.has(err.code)) throw err;
      throw usageFromCommander(err, cmd);
    });
    cmd.commands.forEach(visit);
  };
  visit(program);
}

/** commander's "error: unknown option '--bogus'" → USAGE "unknown option '--bogus'", with the command's help. */
export function usageFromCommander(err: CommanderError, cmd: Command): FerryError {
  const message = err.message
    .replace(/^error:\s*/i, '')
    .replace(/\n+/g, ' ')
    .trim();
  return new FerryError('USAGE', message, { help: helpFor(cmd) });
}

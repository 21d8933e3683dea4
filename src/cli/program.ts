import { Command, Help, Option } from 'commander';
import { TOOL_VERSION } from '../version.js';
import { registerBundleCommands } from './bundle-commands.js';
import { registerChartCommands } from './chart-commands.js';
import { registerCompletionCommand } from './completion.js';
import { registerKeyCommands } from './key-commands.js';
import { registerRegistryCommands } from './registry-commands.js';
import { registerVersionCommand } from './version-command.js';

/**
 * The commander program: global options (recognised before or after the subcommand, and listed in every
 * subcommand's help), required options marked "(required)" in help, and every command. Building it does no I/O,
 * so completion scripts are generated from this same tree.
 */
export function buildProgram(): Command {
  const program = new Command('ferry')
    .description('Carry container images, files, RKE2 releases and Helm charts across an air gap in one verifiable bundle.')
    .version(TOOL_VERSION, '-V, --version', 'print the version number (`ferry version` for commit, Node and platform)')
    .addOption(new Option('--json', 'print a machine-readable JSON result on stdout'))
    .addOption(new Option('--no-progress', 'no progress display (warnings and errors only)'))
    .addOption(new Option('-v, --verbose', 'a line per artifact and per blob, also on a terminal'))
    .addOption(new Option('--debug', 'trace every HTTP request on stderr (method, URL, status, time, bytes; credentials masked)'))
    .configureHelp({
      showGlobalOptions: true,
      optionDescription(this: Help, option: Option): string {
        // A repeatable flag's empty list is no default worth showing ("(default: [])").
        const shown =
          Array.isArray(option.defaultValue) && option.defaultValue.length === 0
            ? Object.assign(Object.create(option) as Option, { defaultValue: undefined })
            : option;
        const text = Help.prototype.optionDescription.call(this, shown);
        return option.mandatory ? `${text} (required)` : text;
      },
    })
    .exitOverride();
  registerBundleCommands(program);
  registerChartCommands(program);
  registerKeyCommands(program);
  registerRegistryCommands(program);
  registerVersionCommand(program);
  registerCompletionCommand(program);
  return program;
}

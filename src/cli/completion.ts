import { Argument, type Command, type Option } from 'commander';
import { FerryError } from '../core/errors.js';
import { bashScript, fishScript, zshScript } from './completion-scripts.js';

/** One flag as completion scripts need it. */
export interface FlagSpec {
  short?: string;
  long?: string;
  description: string;
  /** Takes a value (the next word): a file name, a directory, one of `choices`, or something no list can offer. */
  value?: 'file' | 'dir' | 'other';
  choices?: string[];
}

/** One command of the tree, named by its path (`ferry/bundle/pull`), with what may follow it. */
export interface CommandSpec {
  path: string;
  subcommands: { name: string; description: string }[];
  /** Its own flags, its ancestors' (global) flags, and -h/--help. */
  flags: FlagSpec[];
  /** A positional argument with fixed values (`completion bash|zsh|fish`); otherwise positionals are files. */
  argumentChoices?: string[];
  /** Whether positionals are expected at all (then file names are offered). */
  takesArguments: boolean;
}

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** What a flag's value is, from the name of its placeholder (`--output <bundle.tar>`, `--dir <dir>`, `--concurrency <n>`). */
function valueOf(o: Option): FlagSpec['value'] {
  if (!o.required && !o.optional) return undefined;
  const placeholder = /[<[]([^>\]]*)[>\]]/.exec(o.flags)?.[1] ?? '';
  if (/^dir/.test(placeholder)) return 'dir';
  if (/file|bundle|manifest|key|pub|base|name|\.tar|\.asc/.test(placeholder)) return 'file';
  return 'other';
}

function flagOf(o: Option): FlagSpec {
  const value = valueOf(o);
  return {
    ...(o.short ? { short: o.short } : {}),
    ...(o.long ? { long: o.long } : {}),
    description: o.description ?? '',
    ...(value ? { value } : {}),
    ...(o.argChoices ? { choices: o.argChoices } : {}),
  };
}

const HELP: FlagSpec = { short: '-h', long: '--help', description: 'display help for command' };

/** Walks the commander tree: every command, its subcommands and flags, as the program itself defines them. */
export function describeProgram(program: Command): CommandSpec[] {
  const out: CommandSpec[] = [];
  const visit = (cmd: Command, path: string, inherited: FlagSpec[]) => {
    const own = cmd.options.filter((o) => !o.hidden).map(flagOf);
    const flags = [...own, ...inherited];
    const args = cmd.registeredArguments;
    const choices = args.find((a) => a.argChoices)?.argChoices;
    const subs = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
    out.push({
      path,
      subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })),
      flags: [...flags, HELP],
      ...(choices ? { argumentChoices: choices } : {}),
      // A registry host (`registry login <host>`) is no file name: nothing is offered for it.
      takesArguments: args.some((a) => a.name() !== 'host'),
    });
    for (const c of subs) visit(c, `${path}/${c.name()}`, flags);
  };
  visit(program, program.name(), []);
  return out;
}

export function completionScript(shell: string, program: Command): string {
  const specs = describeProgram(program);
  switch (shell) {
    case 'bash':
      return bashScript(specs);
    case 'zsh':
      return zshScript(specs);
    case 'fish':
      return fishScript(specs);
    default:
      throw new FerryError('USAGE', `completion ${shell}: expected one of ${SHELLS.join(', ')}`);
  }
}

/** `ferry completion bash|zsh|fish`: the completion script on stdout, generated from the program itself. */
export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash: source <(ferry completion bash))')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(SHELLS))
    .action((shell: string) => {
      process.stdout.write(completionScript(shell, program));
    });
}

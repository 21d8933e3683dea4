import { type Command, Option } from 'commander';

/** The TLS and transport flags every command that talks to a registry takes. */
export function connectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--ca-file <file>', 'trust this CA bundle (PEM) for registry TLS'))
    .addOption(new Option('--insecure', 'skip TLS certificate verification'))
    .addOption(new Option('--plain-http', 'talk plain HTTP to the registry'));
}

import { type Command, Option } from 'commander';
import { FerryError } from '../core/errors.js';

/** The TLS and transport flags every command that talks to a registry takes. */
export function connectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--ca-file <file>', 'trust this CA bundle (PEM) for registry TLS'))
    .addOption(new Option('--insecure', 'skip TLS certificate verification'))
    .addOption(new Option('--plain-http', 'talk plain HTTP to the registry'));
}

/** `--max-file-size 16G`: bytes, or a number with K, M, G or T (powers of 1024; `GiB`, `GB` read the same). */
export function parseByteSize(text: string, flag: string): number {
  const m = /^(\d+)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new FerryError('USAGE', `${flag} ${text}: expected a size such as 16G, 500M or a number of bytes`);
  const n = Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  if (n < 1) throw new FerryError('USAGE', `${flag} ${text}: must be at least 1 byte`);
  return n;
}

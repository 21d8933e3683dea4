import { FerryError } from '../core/errors.js';
import { keepSecret } from './scrub.js';

/**
 * The connection and login flags of a command that talks to a registry, read without loading the registry client:
 * `bundle stage --registry` only writes them into the nodes' files, and must not bring the HTTP stack in.
 */
export interface ConnectionFlags {
  caFile?: string;
  insecure?: boolean;
  plainHttp?: boolean;
}

/**
 * The connection flags for a `--registry` value: `http://HOST` means plain HTTP (as `--mirror` reads it), `https://HOST`
 * TLS, which `--plain-http` then contradicts (a usage error).
 */
export function connectionFor(
  target: { registry: string; scheme?: 'http' | 'https' },
  flags: ConnectionFlags,
  plainFlag = '--plain-http',
): ConnectionFlags {
  if (target.scheme === 'https' && flags.plainHttp) {
    throw new FerryError(
      'USAGE',
      `--registry https://${target.registry} asks for TLS and ${plainFlag} for plain HTTP: drop one (http://${target.registry} means plain HTTP)`,
    );
  }
  return { ...flags, plainHttp: flags.plainHttp === true || target.scheme === 'http' };
}

/**
 * `--username U --password-stdin`: a user needs the password from standard input, a password needs a user; either
 * alone is a usage error, found before any work starts. Returns the login, or undefined without --username.
 */
export async function loginFrom(
  host: string,
  username: string | undefined,
  passwordStdin: boolean | undefined,
  flags = { user: '--username', password: '--password-stdin' },
): Promise<{ host: string; username: string; password: string } | undefined> {
  if (passwordStdin && !username) throw new FerryError('USAGE', `${flags.password} needs ${flags.user}`);
  if (!username) return undefined;
  if (!passwordStdin) {
    throw new FerryError(
      'USAGE',
      `${flags.user} ${username} has no password: pipe it in with ${flags.password} (echo "$PASSWORD" | ferry … ${flags.user} ${username} ${flags.password})`,
    );
  }
  return { host, username, password: await readPasswordStdin() };
}

/** The password for --password-stdin: the first line of standard input (never echoed or logged). */
export async function readPasswordStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new FerryError('USAGE', '--password-stdin expects the password on standard input (pipe it in)');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!password) throw new FerryError('USAGE', '--password-stdin: standard input was empty');
  keepSecret(password);
  return password;
}

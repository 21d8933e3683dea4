import { Mirrors, loadConfig, parseMirrorFlag } from '../config/mirrors.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { HttpGetter } from '../registry/http-getter-type.js';
import { RegistryClient } from '../registry/client.js';
import { type CredentialProvider, chainCredentials, registryCredentials, staticCredentials } from '../registry/credentials.js';
import { createHttpGetter } from '../registry/http-getter.js';
import { keepSecret } from './scrub.js';

export interface ConnectionFlags {
  caFile?: string;
  insecure?: boolean;
  plainHttp?: boolean;
}

export async function buildMirrors(flags: string[], configPath?: string): Promise<Mirrors> {
  const fromFile = configPath ? (await loadConfig(configPath)).mirrors : [];
  return new Mirrors([...fromFile, ...flags.map(parseMirrorFlag)]);
}

/**
 * The registry client for a command: a --username login when given, then the credentials docker, podman and skopeo
 * keep (containers auth files, Docker's config and its credential helpers: registry/credentials.ts). `credentials`
 * replaces all of them (`registry login` checks a password with it alone, never with stored credentials).
 */
export function buildRegistryClient(
  flags: ConnectionFlags,
  events: EventSink,
  mirrors?: Mirrors,
  login?: { host: string; username: string; password: string },
  signal?: AbortSignal,
  opts: { credentials?: CredentialProvider } = {},
): RegistryClient {
  const stored = remembered(registryCredentials(signal ? { signal } : {}));
  const given = login && staticCredentials(login.host, login.username, login.password);
  const credentials = opts.credentials ?? (given ? chainCredentials(given, stored) : stored);
  return new RegistryClient({
    ...(mirrors ? { endpointFor: (r: string) => mirrors.endpointFor(r) } : {}),
    plainHttp: flags.plainHttp === true,
    credentials,
    ...(flags.caFile ? { caFile: flags.caFile } : {}),
    insecure: flags.insecure === true,
    events,
    ...(signal ? { signal } : {}),
    onSecret: keepSecret, // Bearer tokens: no output may show one (scrub.ts)
  });
}

/** Every secret a credentials file or helper hands out is remembered, so no output can show it (scrub.ts). */
function remembered(provider: CredentialProvider): CredentialProvider {
  return async (host) => {
    const c = await provider(host);
    if (c) keepSecret('password' in c ? c.password : c.identityToken);
    return c;
  };
}

export function buildHttpGetter(client: RegistryClient, mirrors: Mirrors, opts: { maxFileSize?: number } = {}): HttpGetter {
  return createHttpGetter(client.transport, (u) => mirrors.rewriteUrl(u), opts);
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

/**
 * The connection flags for a `--registry` value: `http://HOST` means plain HTTP (as `--mirror` reads it), `https://HOST`
 * TLS, which `--plain-http` then contradicts (a usage error).
 */
export function connectionFor(target: { registry: string; scheme?: 'http' | 'https' }, flags: ConnectionFlags, plainFlag = '--plain-http'): ConnectionFlags {
  if (target.scheme === 'https' && flags.plainHttp) {
    throw new FerryError('USAGE', `--registry https://${target.registry} asks for TLS and ${plainFlag} for plain HTTP: drop one (http://${target.registry} means plain HTTP)`);
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
    throw new FerryError('USAGE', `${flags.user} ${username} has no password: pipe it in with ${flags.password} (echo "$PASSWORD" | ferry … ${flags.user} ${username} ${flags.password})`);
  }
  return { host, username, password: await readPasswordStdin() };
}

import { Mirrors, parseMirrorFlag } from '../config/mirrors.js';
import type { EventSink } from '../core/events.js';
import type { HttpGetter } from '../registry/http-getter-type.js';
import { RegistryClient } from '../registry/client.js';
import { type CredentialProvider, chainCredentials, registryCredentials, staticCredentials } from '../registry/credentials.js';
import { createHttpGetter } from '../registry/http-getter.js';
import { keepSecret } from './scrub.js';
import type { ConnectionFlags } from './connection-flags.js';

export async function buildMirrors(flags: string[], configPath?: string): Promise<Mirrors> {
  // The config file's YAML parser is loaded only when there is a file (a push or a verify never pays for it).
  const fromFile = configPath ? (await (await import('../config/config-file.js')).loadConfig(configPath)).mirrors : [];
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

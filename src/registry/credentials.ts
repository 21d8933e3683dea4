import { join } from 'node:path';
import {
  type AuthFile,
  type AuthFileKind,
  containersAuthPaths,
  decodeEntry,
  dockerConfigPath,
  entryFor,
  helperFor,
  helperServerUrl,
  normaliseKey,
  readAuthFile,
  usesDockerConfig,
} from './auth-files.js';
import { helperGet } from './credential-helper.js';

export { normaliseKey } from './auth-files.js';

export type Credential = { username: string; password: string } | { identityToken: string };

/** Looks up credentials for a host (`host[:port]`); undefined means anonymous. */
export type CredentialProvider = (host: string) => Promise<Credential | undefined>;

export const anonymous: CredentialProvider = async () => undefined;

/** Tries providers in order; the first that knows the host wins. */
export function chainCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return async (host) => {
    for (const p of providers) {
      const c = await p(host);
      if (c) return c;
    }
    return undefined;
  };
}

/** `--username` + `--password-stdin` for one host. */
export function staticCredentials(host: string, username: string, password: string): CredentialProvider {
  const want = normaliseKey(host);
  return async (h) => (normaliseKey(h) === want ? { username, password } : undefined);
}

export interface LookupOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  helperTimeoutMs?: number;
}

/**
 * One credentials file: for a host its helper (`credHelpers[host]`, else Docker's `credsStore`) answers alone — docker
 * does not fall back to `auths` when a configured helper has nothing (credentials/native_store.go Get) — else its
 * `auths` entry. The file is read once; each helper is asked once per server address, however many requests follow.
 */
export function authFileCredentials(path: string, kind: AuthFileKind, opts: LookupOptions = {}): CredentialProvider {
  let file: Promise<AuthFile | undefined> | undefined;
  const asked = new Map<string, Promise<Credential | undefined>>();
  return async (host) => {
    const f = await (file ??= readAuthFile(path, kind));
    if (!f) return undefined;
    const helper = helperFor(f, host);
    if (helper === undefined) return decodeEntry(entryFor(f, host));
    const server = helperServerUrl(f, host);
    const key = `${helper}\n${server}`;
    let answer = asked.get(key);
    if (!answer) {
      answer = helperGet(helper, server, {
        host: normaliseKey(host),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.helperTimeoutMs ? { timeoutMs: opts.helperTimeoutMs } : {}),
      });
      asked.set(key, answer);
    }
    return answer;
  };
}

/** Docker's config alone (`configDir` in place of $DOCKER_CONFIG / ~/.docker). */
export function dockerConfigCredentials(opts: LookupOptions & { configDir?: string } = {}): CredentialProvider {
  const path = opts.configDir ? join(opts.configDir, 'config.json') : dockerConfigPath(opts.env);
  return authFileCredentials(path, 'docker', opts);
}

/**
 * Where podman and skopeo look, in their order (auth-files.ts): the containers auth files, then Docker's config —
 * which is how skopeo reads the credentials `docker login` left. With REGISTRY_AUTH_FILE set, that file alone.
 */
export function registryCredentials(opts: LookupOptions = {}): CredentialProvider {
  const env = opts.env ?? process.env;
  const files = containersAuthPaths(env).map((p) => authFileCredentials(p, 'containers', opts));
  return chainCredentials(...files, ...(usesDockerConfig(env) ? [dockerConfigCredentials({ ...opts, env })] : []));
}

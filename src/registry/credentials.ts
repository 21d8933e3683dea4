import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/**
 * Docker's config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), `auths` only: keys may be
 * `https://index.docker.io/v1/` (Docker Hub's legacy key), `host[:port]`, or carry a scheme or path, so they are
 * normalised to `host[:port]` before matching. Credential helpers (`credsStore`) are not run.
 */
export function dockerConfigCredentials(opts: { configDir?: string } = {}): CredentialProvider {
  const dir = opts.configDir ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  let entries: Promise<Map<string, DockerAuthEntry>> | undefined;
  const load = async () => {
    try {
      const json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { auths?: Record<string, DockerAuthEntry> };
      return new Map(Object.entries(json.auths ?? {}).map(([k, v]) => [normaliseKey(k), v]));
    } catch {
      return new Map<string, DockerAuthEntry>();
    }
  };
  return async (host) => {
    entries ??= load();
    const e = (await entries).get(normaliseKey(host));
    if (!e) return undefined;
    if (e.identitytoken) return { identityToken: e.identitytoken };
    if (e.auth) {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (e.username !== undefined && e.password !== undefined) return { username: e.username, password: e.password };
    return undefined;
  };
}

/** `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/path` → `host:5000`. */
export function normaliseKey(key: string): string {
  let k = key.trim().toLowerCase().replace(/^[a-z]+:\/\//, '');
  k = k.split('/')[0] ?? k;
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') return 'docker.io';
  return k;
}

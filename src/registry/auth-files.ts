import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../core/errors.js';
import { errnoOf } from '../core/fs-errors.js';
import type { Credential } from './credentials.js';

/**
 * The files registry credentials live in, as the tools that write them read them:
 * - Docker's config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; docker/cli config.go): `auths`,
 *   `credHelpers` (a helper per registry), `credsStore` (the helper for every other registry).
 * - The containers auth file (containers-auth.json(5), containers/image pkg/docker/config/config.go), written by
 *   `podman login` and `skopeo login`: `$REGISTRY_AUTH_FILE` alone when set (containers/image PR #1751: a path the user
 *   chose is not mixed with defaults), else `$XDG_RUNTIME_DIR/containers/auth.json` (`/run/containers/UID/auth.json`
 *   without it), then `$XDG_CONFIG_HOME/containers/auth.json` (`~/.config/…`). Same `auths` format, and `credHelpers`.
 */

export type AuthFileKind = 'docker' | 'containers';

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface AuthFile {
  path: string;
  kind: AuthFileKind;
  auths: Record<string, AuthEntry>;
  credHelpers: Record<string, string>;
  /** Docker's config only: containers/image does not read credsStore (containers/image issue #111). */
  credsStore?: string;
}

/** Docker Hub's key in Docker's config and for its helpers (docker/cli registry.IndexServer). */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

const nonEmpty = (v: string | undefined) => (v ? v : undefined);

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(nonEmpty(env.DOCKER_CONFIG) ?? join(homedir(), '.docker'), 'config.json');
}

/** The containers auth files in the order podman and skopeo search them. */
export function containersAuthPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const explicit = nonEmpty(env.REGISTRY_AUTH_FILE);
  if (explicit) return [explicit];
  const runtime = nonEmpty(env.XDG_RUNTIME_DIR);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const first = runtime ? join(runtime, 'containers', 'auth.json') : `/run/containers/${uid}/auth.json`;
  return [first, join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(homedir(), '.config'), 'containers', 'auth.json')];
}

/** Docker's config is read last, and not at all when REGISTRY_AUTH_FILE names the one file to use. */
export function usesDockerConfig(env: NodeJS.ProcessEnv = process.env): boolean {
  return !nonEmpty(env.REGISTRY_AUTH_FILE);
}

/**
 * A registry key as a host (`host[:port]`, Docker Hub as `docker.io`): `https://index.docker.io/v1/` → `docker.io`,
 * `http://host:5000/v2/` → `host:5000`. A key without a scheme keeps its path (`quay.io/team`): containers/image reads
 * that as a key for one namespace, never for the whole registry (normalizeAuthFileKey).
 */
export function normaliseKey(key: string): string {
  let k = key.trim().toLowerCase();
  const schemed = SCHEME.test(k);
  k = k.replace(SCHEME, '');
  const slash = k.indexOf('/');
  let host = slash < 0 ? k : k.slice(0, slash);
  let path = slash < 0 ? '' : k.slice(slash).replace(/\/+$/, '');
  if (schemed) path = '';
  if (HUB_HOSTS.has(host)) host = 'docker.io';
  return `${host}${path}`;
}

/** The server address Docker stores and asks helpers about: Docker Hub's legacy URL, else `host[:port]`. */
export function dockerServerAddress(host: string): string {
  const h = normaliseKey(host);
  return h === 'docker.io' ? DOCKER_HUB_KEY : h;
}

/** The name a helper is asked about: Docker's server address, or for the containers file the host (`docker.io`). */
export function helperServerUrl(file: AuthFile, host: string): string {
  return file.kind === 'docker' ? dockerServerAddress(host) : normaliseKey(host);
}

/** The file, or undefined when it does not exist. Broken or unreadable: one line naming the file, never its text. */
export async function readAuthFile(path: string, kind: AuthFileKind): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return undefined;
    throw new FerryError(
      'AUTH_FAILED',
      `cannot read registry credentials from ${path}: ${errno === 'EACCES' ? 'permission denied' : (errno ?? 'read error')}`,
      { path, ...(errno ? { errno } : {}) },
    );
  }
  return authFileFrom(parseObject(text, path), path, kind);
}

/** The credential keys of a parsed file; entries of the wrong type are ignored, as Go's json.Unmarshal would refuse them. */
export function authFileFrom(json: Record<string, unknown>, path: string, kind: AuthFileKind): AuthFile {
  const auths = isObject(json.auths) ? (json.auths as Record<string, AuthEntry>) : {};
  const helpers = isObject(json.credHelpers) ? (json.credHelpers as Record<string, unknown>) : {};
  const credHelpers = Object.fromEntries(Object.entries(helpers).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const credsStore = kind === 'docker' && typeof json.credsStore === 'string' && json.credsStore ? json.credsStore : undefined;
  return { path, kind, auths, credHelpers, ...(credsStore ? { credsStore } : {}) };
}

/** The JSON object a credentials file holds; an empty file is an empty object (docker/cli tolerates io.EOF). */
export function parseObject(text: string, path: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a password: not shown.
    throw new FerryError('AUTH_FAILED', `${path} is not valid JSON: fix it or move it away (registry credentials are read from it)`, {
      path,
    });
  }
  if (!isObject(json))
    throw new FerryError('AUTH_FAILED', `${path} is not a JSON object: fix it or move it away (registry credentials are read from it)`, {
      path,
    });
  return json as Record<string, unknown>;
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The keys of `record` that name `host`: an exact key first (Docker's own form), then any that normalise to it. */
export function keysFor(record: Record<string, unknown>, host: string, exact: string): string[] {
  const want = normaliseKey(host);
  const keys = Object.keys(record).filter((k) => k !== exact && normaliseKey(k) === want);
  return exact in record ? [exact, ...keys] : keys;
}

/**
 * The helper that answers for `host`: its `credHelpers` entry, else (Docker's config) `credsStore`. An empty name
 * means none (docker/cli getConfiguredCredentialStore; `"credHelpers": {"host": ""}` opts a host out of credsStore).
 */
export function helperFor(file: AuthFile, host: string): string | undefined {
  const key = keysFor(file.credHelpers, host, file.kind === 'docker' ? dockerServerAddress(host) : normaliseKey(host))[0];
  if (key !== undefined) return nonEmpty(file.credHelpers[key]);
  return file.credsStore;
}

/** The `auths` entry for `host`, exact key first (docker/cli file_store.go Get; containers/image findCredentialsInFile). */
export function entryFor(file: AuthFile, host: string): AuthEntry | undefined {
  const key = keysFor(file.auths, host, file.kind === 'docker' ? dockerServerAddress(host) : normaliseKey(host))[0];
  const entry = key === undefined ? undefined : file.auths[key];
  return isObject(entry) ? entry : undefined;
}

/** `identitytoken`, else `auth` (base64 `user:password`), else `username`/`password`; `{}` (a helper's marker) is nothing. */
export function decodeEntry(e: AuthEntry | undefined): Credential | undefined {
  if (!e) return undefined;
  if (typeof e.identitytoken === 'string' && e.identitytoken) return { identityToken: e.identitytoken };
  if (typeof e.auth === 'string' && e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // docker/cli decodeAuth trims the NULs some writers padded the password with.
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/\0+$/, '') };
  }
  if (typeof e.username === 'string' && e.username && typeof e.password === 'string') return { username: e.username, password: e.password };
  return undefined;
}

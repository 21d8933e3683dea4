import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { errnoOf, fsError } from '../core/fs-errors.js';
import { FerryError } from '../core/errors.js';
import { refuseUserInfo } from '../config/user-info.js';
import {
  type AuthFile,
  authFileFrom,
  containersAuthPaths,
  dockerConfigPath,
  dockerServerAddress,
  entryFor,
  helperFor,
  keysFor,
  normaliseKey,
  parseObject,
  readAuthFile,
} from './auth-files.js';
import { type HelperOptions, helperErase, helperStore } from './credential-helper.js';

/**
 * `ferry registry login/logout`: credentials stored where `docker login` stores them, so docker, skopeo, crane and
 * ferry itself find them. The helper for the host (`credHelpers[host]`, else `credsStore`) keeps the secret and
 * Docker's config gets an empty `auths[server] = {}` (docker/cli native_store.go Store then file_store.go Store);
 * without a helper `auths[server].auth` is base64 `user:password` (configfile/file.go encodeAuth). The server is
 * `https://index.docker.io/v1/` for Docker Hub, else `host[:port]`. Every other key of the file is kept as it was.
 */

export interface StoreOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  helperTimeoutMs?: number;
}

export interface Stored {
  /** The key written in `auths` (and the helper's ServerURL). */
  server: string;
  /** Docker's config file written. */
  config: string;
  /** `docker-credential-NAME` when a helper holds the secret. */
  helper?: string;
}

interface Loaded {
  path: string;
  raw: Record<string, unknown>;
  file: AuthFile;
}

/** Docker's config as a plain object (every key kept), its real path (a symlinked config is written through). */
async function loadDockerConfig(env: NodeJS.ProcessEnv | undefined): Promise<Loaded> {
  let path = dockerConfigPath(env);
  path = await fs.realpath(path).catch(() => path);
  let text = '';
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw fsError(err, path, 'cannot read');
  }
  const raw = parseObject(text, path);
  return { path, raw, file: authFileFrom(raw, path, 'docker') };
}

/** docker/cli configfile Save: the directory 0700, the file 0600, replaced whole (tab-indented, as docker writes it). */
async function save(l: Loaded, auths: Record<string, unknown>): Promise<void> {
  const dir = dirname(l.path);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((err) => {
    throw fsError(err, dir, 'cannot create directory');
  });
  await writeFileAtomic(l.path, JSON.stringify({ ...l.raw, auths }, null, '\t'), 0o600);
}

const helperOpts = (host: string, o: StoreOptions): HelperOptions => ({
  host,
  ...(o.signal ? { signal: o.signal } : {}),
  ...(o.helperTimeoutMs ? { timeoutMs: o.helperTimeoutMs } : {}),
});

export async function storeLogin(host: string, username: string, password: string, opts: StoreOptions = {}): Promise<Stored> {
  const l = await loadDockerConfig(opts.env);
  const server = dockerServerAddress(host);
  const helper = helperFor(l.file, host);
  const auths: Record<string, unknown> = { ...l.file.auths };
  if (helper) {
    await helperStore(helper, server, { username, password }, helperOpts(normaliseKey(host), opts));
    auths[server] = {};
  } else {
    auths[server] = { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  }
  await save(l, auths);
  return { server, config: l.path, ...(helper ? { helper: `docker-credential-${helper}` } : {}) };
}

export interface Removed {
  server: string;
  config: string;
  /** Whether anything was there to remove. */
  loggedIn: boolean;
  /** `docker-credential-NAME` configured for the host, and whether it had a secret to erase. */
  helper?: string;
  erased: boolean;
  /** The `auths` keys removed from Docker's config. */
  removedKeys: string[];
  /** Containers auth files that still hold credentials for the host (podman's to manage: `podman logout`). */
  elsewhere: string[];
}

/**
 * Erases the host's secret from its helper and every `auths` key naming the host (`host`, `http://host`,
 * `https://host`, … — the forms docker/cli logout.go tries). Nothing there is no error: `loggedIn` is false.
 */
export async function removeLogin(host: string, opts: StoreOptions = {}): Promise<Removed> {
  const l = await loadDockerConfig(opts.env);
  const server = dockerServerAddress(host);
  const helper = helperFor(l.file, host);
  const erased = helper ? await helperErase(helper, server, helperOpts(normaliseKey(host), opts)) : false;
  const removedKeys = keysFor(l.file.auths, host, server);
  if (removedKeys.length > 0) {
    const auths = Object.fromEntries(Object.entries(l.file.auths).filter(([k]) => !removedKeys.includes(k)));
    await save(l, auths);
  }
  const elsewhere: string[] = [];
  for (const path of containersAuthPaths(opts.env ?? process.env)) {
    const f = await readAuthFile(path, 'containers').catch(() => undefined);
    if (f && (entryFor(f, host) || helperFor(f, host))) elsewhere.push(path);
  }
  return {
    server,
    config: l.path,
    loggedIn: erased || removedKeys.length > 0,
    ...(helper ? { helper: `docker-credential-${helper}` } : {}),
    erased,
    removedKeys,
    elsewhere,
  };
}

/** `HOST`, `http://HOST` or `https://HOST` for login/logout: credentials are kept per registry host, never per path. */
export function parseLoginHost(value: string): { host: string; scheme?: 'http' | 'https' } {
  refuseUserInfo('the registry HOST', value, 'give the user with --username and the password on standard input with --password-stdin');
  const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?([^/]*)(\/.*)?$/i.exec(value.trim());
  const scheme = m?.[1]?.toLowerCase();
  const host = (m?.[2] ?? '').toLowerCase();
  const path = (m?.[3] ?? '').replace(/\/+$/, '');
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https')
    throw new FerryError('USAGE', `"${value}": ${scheme}:// is not a registry scheme: give HOST[:PORT], or http://HOST for plain HTTP`, {
      value,
    });
  if (!/^([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d+)?$/.test(host))
    throw new FerryError('USAGE', `"${value}": expected a registry HOST[:PORT]`, { value });
  // `https://index.docker.io/v1/` is how docker names Docker Hub; any other path is refused.
  if (path && path !== '/v1' && path !== '/v2')
    throw new FerryError('USAGE', `"${value}": give the registry HOST[:PORT] without a path: credentials are kept per registry host`, {
      value,
    });
  return { host, ...(scheme ? { scheme: scheme as 'http' | 'https' } : {}) };
}

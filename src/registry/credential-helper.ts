import { spawn } from 'node:child_process';
import { FerryError } from '../core/errors.js';
import type { Credential } from './credentials.js';

/**
 * Docker's credential-helper protocol (docker-credential-helpers client/client.go, as docker/cli
 * credentials/native_store.go and containers/image pkg/docker/config use it): the program `docker-credential-NAME`
 * is run with one argument, `get`, `store`, `erase` or `list`, and reads its input on standard input — the server URL
 * for get and erase, `{"ServerURL","Username","Secret"}` for store. `get` answers that same JSON on standard output;
 * a Username of `<token>` means Secret is an identity token (an OAuth2 refresh token). A helper that has nothing for
 * the server exits non-zero saying "credentials not found in native keychain": that is no credentials, not a failure.
 *
 * What a helper prints may hold the very secret it guards, so no message ever includes it: a failure is one line
 * naming the program and the host, and what to check.
 */

export const TOKEN_USERNAME = '<token>';
const NOT_FOUND = /credentials not found/i;
export const HELPER_TIMEOUT_MS = 30_000;
/** A `get` answer is a few hundred bytes; an endless one is cut off here, never read whole. */
const MAX_OUTPUT = 1 << 20;

export interface HelperOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The registry the lookup is for, as a person would name it (messages only). */
  host?: string;
}

/** `docker-credential-NAME`; a name that could reach outside PATH (`../x`, `/bin/sh`) is refused. */
export function helperProgram(name: string, host?: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new FerryError(
      'AUTH_FAILED',
      `credential helper name ${JSON.stringify(name)}${host ? ` (for ${host})` : ''} is not a program name: credsStore and credHelpers name the part after "docker-credential-" (e.g. "pass", "secretservice")`,
      { helper: name, ...(host ? { host } : {}) },
    );
  }
  return `docker-credential-${name}`;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function failure(program: string, action: string, host: string | undefined, why: string): FerryError {
  return new FerryError('AUTH_FAILED', `credential helper ${program} (${action}${host ? ` for ${host}` : ''}): ${why}`, {
    helper: program,
    action,
    ...(host ? { host } : {}),
  });
}

/** Runs the helper once, without a shell, bounded in time and output; rejects only when it could not run to the end. */
function runHelper(program: string, action: string, input: string, opts: HelperOptions): Promise<Outcome> {
  opts.signal?.throwIfAborted();
  const timeoutMs = opts.timeoutMs ?? HELPER_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const kill = (why: string) => finish(() => (child.kill('SIGKILL'), reject(failure(program, action, opts.host, why))));
    const timer = setTimeout(
      () =>
        kill(
          `gave no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`} (is it waiting for a password prompt or an unlocked keyring?)`,
        ),
      timeoutMs,
    );
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) kill(`printed more than ${MAX_OUTPUT} bytes`);
      else into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.stdin.on('error', () => undefined); // a helper may exit without reading its input (EPIPE)
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') return finish(() => reject(opts.signal?.reason ?? e));
      const why =
        e.code === 'ENOENT'
          ? 'is not on PATH: install it, or remove credsStore/credHelpers naming it from the config'
          : e.code === 'EACCES'
            ? 'is not executable'
            : `could not be started (${e.code ?? 'error'})`;
      finish(() => reject(failure(program, action, opts.host, why)));
    });
    child.on('close', (code) =>
      finish(() => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })),
    );
    child.stdin.end(input);
  });
}

const notFound = (o: Outcome) => NOT_FOUND.test(o.stdout) || NOT_FOUND.test(o.stderr);
const exitWords = (o: Outcome) => `exited with status ${o.code ?? 'by a signal'} (its output is not shown: it may hold secrets)`;

/** `get`: the credential the helper keeps for `serverUrl`, or undefined when it has none. */
export async function helperGet(name: string, serverUrl: string, opts: HelperOptions = {}): Promise<Credential | undefined> {
  const program = helperProgram(name, opts.host);
  const o = await runHelper(program, 'get', serverUrl, opts);
  if (o.code !== 0) {
    if (notFound(o)) return undefined;
    throw failure(program, 'get', opts.host, exitWords(o));
  }
  let answer: { Username?: unknown; Secret?: unknown };
  try {
    answer = JSON.parse(o.stdout) as typeof answer;
  } catch {
    throw failure(
      program,
      'get',
      opts.host,
      'answered something other than JSON {"ServerURL","Username","Secret"} (not shown: it may hold secrets)',
    );
  }
  const username = typeof answer?.Username === 'string' ? answer.Username : '';
  const secret = typeof answer?.Secret === 'string' ? answer.Secret : '';
  if (!username && !secret) return undefined; // containers/image: an empty answer is no credentials
  return username === TOKEN_USERNAME ? { identityToken: secret } : { username, password: secret };
}

/** `store`: hands the helper `{"ServerURL","Username","Secret"}` (an identity token as Username `<token>`). */
export async function helperStore(name: string, serverUrl: string, credential: Credential, opts: HelperOptions = {}): Promise<void> {
  const program = helperProgram(name, opts.host);
  const creds =
    'identityToken' in credential
      ? { ServerURL: serverUrl, Username: TOKEN_USERNAME, Secret: credential.identityToken }
      : { ServerURL: serverUrl, Username: credential.username, Secret: credential.password };
  const o = await runHelper(program, 'store', `${JSON.stringify(creds)}\n`, opts);
  if (o.code !== 0) throw failure(program, 'store', opts.host, `${exitWords(o)}; nothing was stored`);
}

/** `erase`: true when the helper removed something, false when it had nothing for `serverUrl`. */
export async function helperErase(name: string, serverUrl: string, opts: HelperOptions = {}): Promise<boolean> {
  const program = helperProgram(name, opts.host);
  const o = await runHelper(program, 'erase', serverUrl, opts);
  if (o.code === 0) return true;
  if (notFound(o)) return false;
  throw failure(program, 'erase', opts.host, exitWords(o));
}

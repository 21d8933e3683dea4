import { FerryError } from '../core/errors.js';
import { hasUserInfo, redact } from '../core/redact.js';

/**
 * Refuses `user:password@` in a registry or mirror value. Such a value is echoed in messages, `--json`, reports and
 * the lock, and a password may hold `@`, `/` or a space, which no parser reliably separates from the host; so any `@`
 * is taken for credentials (a literal `@` in a URL path is written `%40`). The message shows the value with
 * everything up to the last `@` masked, and says where credentials go instead.
 */
export function refuseUserInfo(where: string, value: string, fix: string): void {
  if (!hasUserInfo(value)) return;
  throw new FerryError(
    'USAGE',
    `${where} "${redact(value)}": credentials (a user and password before "@") do not belong in ${where}; ${fix}`,
    { where, value: redact(value) },
  );
}

/** Where registry credentials go, for the messages of commands that log in to one registry. */
export const LOGIN_FIX =
  'give the user with --username (stage: --registry-username) and the password on standard input with --password-stdin (stage: --registry-password-stdin), or log in once with `docker login HOST` or `ferry registry login HOST` so the Docker config (~/.docker/config.json) or its credential helper holds them';

/** Where mirror credentials go: mirrors are looked up in the Docker config by the host contacted. */
export const MIRROR_FIX =
  'log in with `docker login HOST` or `ferry registry login HOST` so the Docker config (~/.docker/config.json) or its credential helper holds them; write a literal "@" in a URL path as %40';

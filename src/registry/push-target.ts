import { FerryError } from '../core/errors.js';
import { isValidRepository } from '../core/reference.js';
import { LOGIN_FIX, refuseUserInfo } from '../config/user-info.js';

/** Where to push: `HOST[:PORT][/PREFIX]`. */
export interface PushTarget {
  registry: string;
  prefix: string;
  /** Given as `http://HOST` (plain HTTP) or `https://HOST` (TLS); absent for a bare HOST (TLS unless --plain-http). */
  scheme?: 'http' | 'https';
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * `--registry HOST[:PORT][/PREFIX]`, optionally with `http://` (plain HTTP, as `--mirror` reads it) or `https://`
 * (TLS); any other scheme is a usage error.
 */
export function parsePushTarget(value: string): PushTarget {
  refuseUserInfo('--registry', value, LOGIN_FIX);
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new FerryError(
      'USAGE',
      `--registry "${value}": ${scheme}:// is not a registry scheme: give HOST[:PORT][/PREFIX], http://HOST for plain HTTP or https://HOST for TLS`,
      { value },
    );
  }
  const cleaned = value.replace(SCHEME, '').replace(/\/+$/, '');
  const slash = cleaned.indexOf('/');
  const registry = slash < 0 ? cleaned : cleaned.slice(0, slash);
  const prefix = slash < 0 ? '' : cleaned.slice(slash + 1);
  if (!registry || (prefix && !isValidRepository(prefix))) {
    throw new FerryError('USAGE', `--registry "${value}": expected HOST[:PORT][/PREFIX] with a lower-case prefix`, { value });
  }
  return { registry, prefix, ...(scheme ? { scheme: scheme as 'http' | 'https' } : {}) };
}

import { FerryError } from '../core/errors.js';
import { hasUserInfo, redact } from '../core/redact.js';
import { MIRROR_FIX } from './user-info.js';

/**
 * One mirror rule FROM=TO, validated. FROM containing `://` is a URL prefix for file downloads, kept as written (it
 * is compared as a URL: config/url-prefix.ts); otherwise it is a registry host, normalised, and TO is that registry's
 * endpoint base URL.
 */
export type MirrorRule = [from: string, to: string];

export const isUrlPrefix = (from: string): boolean => from.includes('://');

const HOST_RE = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$/;

/** Registry names as src/core/reference.ts normalises them: Docker Hub's aliases are docker.io. */
export function normaliseRegistry(host: string): string {
  const h = host.toLowerCase();
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}

/** Validates and normalises a rule; throws FerryError('USAGE') prefixed with `where` (the flag or config key, redacted). */
export function checkRule(from: string, to: string, where: string): MirrorRule {
  const r = ruleOrProblem(from, to);
  if ('problem' in r) throw usageError(where, r.problem);
  return r.rule;
}

/** The same check, returning the problem text instead of throwing (the config file collects all of them). */
export function ruleOrProblem(from: string, to: string): { rule: MirrorRule } | { problem: string } {
  try {
    return { rule: normalise(from.trim(), to.trim()) };
  } catch (err) {
    if (err instanceof RuleProblem) return { problem: err.message };
    throw err;
  }
}

class RuleProblem extends Error {}

function normalise(from: string, to: string): MirrorRule {
  if (from === '' || to === '') throw new RuleProblem('FROM and TO must both be given');
  // Credentials would be echoed in messages, events and --json wherever the rule is named.
  if (hasUserInfo(from) || hasUserInfo(to))
    throw new RuleProblem(`credentials (a user and password before "@") do not belong in a mirror rule; ${MIRROR_FIX}`);
  if (isUrlPrefix(from)) {
    checkHttpUrl(from, 'FROM');
    checkHttpUrl(to, 'TO');
    // Kept as written: FROM is compared as a URL (url-prefix.ts), and the seam's one "/" is made when rewriting.
    return [from, to];
  }
  const host = normaliseRegistry(from);
  if (!HOST_RE.test(host))
    throw new RuleProblem(`FROM "${redact(from)}" is neither a registry host (docker.io, 127.0.0.1:5000) nor a URL prefix (https://…)`);
  // A bare host[:port] means HTTPS; plain HTTP must be asked for with http://.
  const endpoint = /^[a-z][a-z0-9+.-]*:\/\//i.test(to) ? to : `https://${to}`;
  const url = checkHttpUrl(endpoint, 'TO');
  if (url.search !== '' || url.hash !== '') throw new RuleProblem('a registry endpoint must not have a query or fragment');
  return [host, endpoint.replace(/\/+$/, '')];
}

function checkHttpUrl(value: string, which: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RuleProblem(`${which} "${redact(value)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RuleProblem(`${which} must be an http:// or https:// URL, not ${url.protocol}//`);
  if (url.username !== '' || url.password !== '')
    throw new RuleProblem(`credentials (a user and password before "@") do not belong in a mirror rule; ${MIRROR_FIX}`);
  return url;
}

/** `where` is already safe to print: callers build it from `redact`ed values. */
export function usageError(where: string, why: string): FerryError {
  return new FerryError('USAGE', `${where}: ${why}`, { where });
}

import { redactText } from '../core/redact.js';

/**
 * The last filter before anything reaches stdout or stderr: every URL's user-info and query masked, and every
 * secret this process was handed (a --password-stdin password) replaced in every form it can take. The library
 * builds its messages from redacted values in the first place; this catches what slipped through.
 */
const secrets = new Set<string>();

/** Remembers a secret so that no later output can show it. */
export function keepSecret(secret: string): void {
  secrets.add(secret);
}

export function scrub(text: string): string {
  return redactText(text, secrets);
}

/** The same for a JSON value (error details, a command's result): every string in it, keys included. */
export function scrubValue(value: unknown): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map(scrubValue);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k), scrubValue(v)]));
  }
  return value;
}

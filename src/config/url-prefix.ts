import { comparableUrl } from '../core/url-form.js';

/**
 * A mirror rule's FROM as a URL prefix, matched against download URLs in their comparison form (core/url-form.ts):
 * `https://get.rke2.io/`, `https://get.rke2.io` and `HTTPS://GET.RKE2.IO:443` are one prefix, and each covers the URL
 * `https://get.rke2.io`. A trailing `/` on FROM does not change what it covers: `https://h/a/` and `https://h/a` both
 * cover `https://h/a`, `https://h/a/b` and `https://h/a?x`, and neither covers `https://h/ab`.
 */
export interface UrlPrefix {
  /** FROM as the user wrote it (for messages). */
  from: string;
  /** The comparison form, without a trailing "/" on its path. */
  key: string;
}

export function urlPrefix(from: string): UrlPrefix {
  const c = comparableUrl(from);
  const strip = !c.includes('?') && !c.includes('#') && c.endsWith('/') && !c.endsWith('//');
  return { from, key: strip ? c.slice(0, -1) : c };
}

/**
 * The part of `url` after the prefix, when the prefix covers it: '' for the resource the prefix names itself, else a
 * tail starting at a boundary (`/`, `?`, `#`), so `https://github.com` never covers `https://github.com.example.org/x`.
 * Undefined when it does not cover it.
 */
export function tailAfter(prefix: UrlPrefix, url: string): string | undefined {
  const c = comparableUrl(url);
  if (!c.startsWith(prefix.key)) return undefined;
  const tail = c.slice(prefix.key.length);
  if (tail === '' || '/?#'.includes(tail.charAt(0))) return tail;
  // A FROM that itself ends in "/" after a "/" or a query ("https://h/a//"): it matches as a plain string prefix.
  return prefix.key.endsWith('/') ? tail : undefined;
}

/**
 * TO plus the tail, with exactly one "/" at the seam whichever side wrote it. The resource FROM names itself goes to
 * TO exactly as written, so `https://get.rke2.io=http://mirror/rke2/install.sh` fetches that file.
 */
export function joinTail(to: string, tail: string): string {
  if (tail === '') return to;
  if (tail.startsWith('/')) return to.replace(/\/+$/, '') + tail;
  if (tail.startsWith('?') || tail.startsWith('#')) return to + tail;
  return to.endsWith('/') ? to + tail : `${to}/${tail}`;
}

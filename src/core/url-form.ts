/**
 * URLs compared as URLs, not as text. `HTTPS://GET.RKE2.IO:443`, `https://get.rke2.io` and `https://get.rke2.io/`
 * name one resource: the WHATWG URL serialisation (what `new URL(x).href` gives, and what undici sends) lower-cases
 * the scheme and host, drops the scheme's default port (:443, :80), writes an empty path as `/` and percent-encodes
 * what must be encoded (it never decodes: `%7E` and `~` stay different, as WHATWG keeps them). Manifests, locks and
 * messages keep the URL as it was written; only comparisons use this form.
 */

/**
 * The comparison form of an http(s) URL: its WHATWG serialisation with a root-only path written empty
 * (`https://h/?q` → `https://h?q`), so that a URL prefix of a bare host ends where its path would start. Text that is
 * not an http(s) URL (an `oci://` chart repository, a typo) is returned unchanged: it compares as written.
 */
export function comparableUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return text;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return text;
  const href = u.href;
  if (u.pathname !== '/') return href;
  // The path starts at the first "/" after "scheme://": user-info and host cannot hold one (WHATWG encodes it).
  const at = href.indexOf('/', u.protocol.length + 2);
  return href.slice(0, at) + href.slice(at + 1);
}

/** Whether two URLs name the same resource (for lock matching and duplicate checks). */
export function sameUrl(a: string, b: string): boolean {
  return a === b || comparableUrl(a) === comparableUrl(b);
}

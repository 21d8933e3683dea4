/**
 * The one place that makes URLs, registry references and free text fit for messages, events, JSON output and
 * reports: user-info (`user:password@`) becomes `***@`, and a URL's query (upload and presigned URLs carry secrets
 * there) becomes `?…`. A password may hold `@`, `/`, `"` or a space, which no URL parser reads as user-info, so
 * what cannot be parsed is masked by text rules that err on the side of hiding too much.
 */

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A trailing `@sha256:<hex>` (or another algorithm) is a digest, not the end of user-info. */
const DIGEST_TAIL = /@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
export const MASK = '***';

/** A URL or a reference (`user:pass@host:5000/prefix`, `host/repo:tag@sha256:…`) with its user-info masked. */
export function redact(value: string): string {
  return redactWith(value, true);
}

function redactWith(value: string, dropQuery: boolean): string {
  const scheme = SCHEME.exec(value)?.[0];
  if (scheme && /^https?:\/\//i.test(scheme)) {
    const parsed = redactParsedUrl(value, dropQuery);
    if (parsed !== undefined) return parsed;
  }
  return maskToLastAt(value, scheme ?? '');
}

/** Whether a value a person typed (a flag, a config entry) holds user-info, or anything that could be mistaken for it. */
export function hasUserInfo(value: string): boolean {
  return value.replace(DIGEST_TAIL, '').includes('@');
}

/**
 * An http(s) URL parsed, its user-info masked; undefined where the text rule must decide: not parseable, or an `@`
 * before the query that the parser did not take as user-info (`http://u:12/34@host` parses as host u, port 12).
 */
function maskedUrl(value: string): { url: URL; masked: boolean } | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!/^https?:$/.test(url.protocol)) return undefined;
  const masked = url.username !== '' || url.password !== '';
  const beforeQuery = value.replace(SCHEME, '').split(/[?#]/)[0] ?? '';
  if (!masked && beforeQuery.includes('@')) return undefined;
  if (masked) {
    url.username = MASK;
    url.password = '';
  }
  return { url, masked };
}

function redactParsedUrl(value: string, dropQuery: boolean): string | undefined {
  const m = maskedUrl(value);
  if (!m) return undefined;
  if (!dropQuery) return m.masked ? m.url.toString() : value; // nothing to hide: keep the text exactly as it was
  const u = m.url;
  const hadQuery = u.search !== '';
  // No user-info: the URL as it was written up to its query (`https://get.rke2.io`, not the parser's
  // `https://get.rke2.io/`), so a message shows what the manifest or flag says; printable ASCII only, one line.
  const written = value.split(/[?#]/)[0] ?? '';
  if (!m.masked && /^[\x21-\x7e]+$/.test(written)) return `${written}${hadQuery ? '?…' : ''}`;
  u.search = '';
  u.hash = '';
  return `${u.toString()}${hadQuery ? '?…' : ''}`;
}

function maskToLastAt(value: string, scheme: string): string {
  const digest = DIGEST_TAIL.exec(value)?.[0] ?? '';
  const body = value.slice(scheme.length, value.length - digest.length);
  const at = body.lastIndexOf('@');
  if (at < 0) return value;
  return `${scheme}${MASK}${body.slice(at)}${digest}`;
}

/**
 * Free text (an error message, a line of output): the user-info of every URL in it masked (queries are kept: a
 * result may list URLs as the manifest wrote them), and every `name:secret@` that is not a tag before a digest.
 * The last line of defence; messages are built with `redact` in the first place.
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => redactWith(url, false));
  out = out.replace(/[^\s"'/@=]+:(?!\/\/)[^\s"'@]*@(?=[A-Za-z0-9[])(?![a-z0-9]+:[a-fA-F0-9]{32,})/g, `${MASK}@`);
  for (const s of secrets) out = maskSecret(out, s);
  return out;
}

/** Replaces a known secret in every form it can take in text: as typed, URL-encoded, JSON-escaped. */
export function maskSecret(text: string, secret: string): string {
  if (secret.length < 3) return text; // a one- or two-letter secret would mask half the text
  const forms = new Set([secret, encodeURIComponent(secret), encodeURI(secret), JSON.stringify(secret).slice(1, -1)]);
  let out = text;
  for (const f of forms) out = out.split(f).join(MASK);
  return out;
}

/** Query keys whose values are no secret (the distribution API's, a token request's): a --debug trace shows them. */
const PLAIN_QUERY_KEYS = new Set(['scope', 'service', 'digest', 'mount', 'from', 'n', 'last']);
const QUERY_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/**
 * A URL for the --debug HTTP trace: user-info masked as by `redact`, the fragment dropped, and the query kept as
 * far as it is safe: the values of PLAIN_QUERY_KEYS shown, every other value (an upload's `_state`, a presigned
 * URL's signature, a token) as `***`, and a key that does not look like a parameter name masked whole.
 */
export function redactForTrace(value: string): string {
  const m = maskedUrl(value);
  if (!m) return redact(value);
  const u = m.url;
  const shown = (v: string) => encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%2C/gi, ',');
  const query = [...u.searchParams].map(([k, v]) =>
    !QUERY_KEY.test(k) ? MASK : PLAIN_QUERY_KEYS.has(k) ? `${k}=${shown(v)}` : `${k}=${MASK}`,
  );
  u.search = '';
  u.hash = '';
  return query.length > 0 ? `${u.toString()}?${query.join('&')}` : u.toString();
}

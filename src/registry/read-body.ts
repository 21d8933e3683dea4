import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { BodyLimit, MIN_BODY_RATE } from './http-limits.js';
import { type HttpResponse, redact } from './transport.js';
import { describeTlsError } from './tls-words.js';

/**
 * Reads a response body into memory, refusing (and closing) one larger than `max` bytes — up front when its
 * Content-Length says so — and one not complete within the response's deadline (plus the time its length takes at
 * MIN_BODY_RATE). Every failure names `what`, the URL and the limit, and never holds more than `max` bytes.
 */
export async function readBounded(res: HttpResponse, max: number, what: string): Promise<Buffer> {
  const url = redact(res.url);
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    // Destroyed unread, undici's body emits an abort error: with no listener it would be an uncaught exception.
    res.body.on('error', () => {});
    res.body.destroy();
    throw tooLarge(what, url, max, `it declares ${declared}`);
  }
  const deadlineMs = res.limits ? res.limits.deadlineMs + ((Number.isFinite(declared) ? declared : max) / MIN_BODY_RATE) * 1000 : undefined;
  let timedOut = false;
  const timer =
    deadlineMs !== undefined ? setTimeout(() => ((timedOut = true), res.body.destroy(new Error('deadline'))), deadlineMs) : undefined;
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res.body) {
      n += (c as Buffer).length;
      if (n > max) {
        res.body.destroy();
        throw tooLarge(what, url, max, 'more arrived');
      }
      chunks.push(c as Buffer);
    }
  } catch (err) {
    if (err instanceof FerryError) throw err;
    if (timedOut) {
      const s = Math.round((deadlineMs as number) / 100) / 10;
      // Not retried: a server that trickles once trickles again, and each try would cost the whole deadline.
      throw new FerryError(
        'NETWORK_ERROR',
        `${what} (${url}): not complete after ${s} s (${n} bytes arrived); FERRY_HTTP_DEADLINE sets the wait`,
        { url, retriable: false },
      );
    }
    throw new FerryError(
      'NETWORK_ERROR',
      `${what} (${url}): the response broke off after ${n} bytes: ${describeNetworkError(err, res)}`,
      { url, retriable: true, body: true },
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

/** Attempts at a request whose in-memory body stalled or broke off (the transport already retried the request itself). */
export const BODY_ATTEMPTS = 3;

/**
 * Runs `read` (a request and readBounded of its body) again when the body stalls or breaks off — the stall
 * detector's retry — up to BODY_ATTEMPTS times, then lets the last error, which names the URL, through.
 */
export async function retryingBody<T>(url: string, events: EventSink, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      // Only a body that stalled or broke off: the request itself was already retried by the transport.
      if (!(err instanceof FerryError) || err.details.body !== true || attempt >= BODY_ATTEMPTS) throw err;
      events({ type: 'retry', url: redact(url), attempt, reason: err.message, delayMs: 0 });
    }
  }
}

/**
 * The start of a body, for quoting in an error message: at most BodyLimit.errorBody bytes are read, the rest is
 * dropped with the connection, and a body that fails or stalls just ends the quote.
 */
export async function readPrefix(res: HttpResponse, max: number = BodyLimit.errorBody): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  const timer = res.limits ? setTimeout(() => res.body.destroy(), res.limits.timeoutMs) : undefined;
  try {
    for await (const c of res.body) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= max) break;
    }
  } catch {
    /* whatever arrived is the quote */
  } finally {
    clearTimeout(timer);
    res.body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** undici's timeout errors in words: what was waited for and how long; TLS failures of `url` by their fix (tls-words.ts). */
export function describeNetworkError(err: unknown, res?: Pick<HttpResponse, 'limits'>, url?: string): string {
  const tls = url ? describeTlsError(err, url) : undefined;
  if (tls) return tls;
  const code = (err as { code?: string })?.code;
  const s = res?.limits ? ` ${res.limits.timeoutMs / 1000} s` : '';
  if (code === 'UND_ERR_BODY_TIMEOUT') return `no data for${s || ' too long'} (FERRY_HTTP_TIMEOUT sets the wait)`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return `no response headers within${s || ' the timeout'} (FERRY_HTTP_TIMEOUT sets the wait)`;
  const host = url ? hostOf(url) : undefined;
  if (code === 'ECONNREFUSED')
    return `nothing answers at ${host ?? 'the server'} (connection refused): check the host and port, and that the server is running`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `the name ${host ? new URL(`http://${host}`).hostname : ''} does not resolve (${code}): check the host name and DNS`;
  return (err as Error)?.message ?? String(err);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

function tooLarge(what: string, url: string, max: number, why: string): FerryError {
  return new FerryError('NETWORK_ERROR', `${what} (${url}): larger than the ${max} bytes ferry reads into memory (${why})`, {
    url,
    limit: max,
    retriable: false,
  });
}

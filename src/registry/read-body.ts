import { FerryError } from '../core/errors.js';
import { BodyLimit, MIN_BODY_RATE } from './http-limits.js';
import { type HttpResponse, redact } from './transport.js';

/**
 * Reads a response body into memory, refusing (and closing) one larger than `max` bytes — up front when its
 * Content-Length says so — and one not complete within the response's deadline (plus the time its length takes at
 * MIN_BODY_RATE). Every failure names `what`, the URL and the limit, and never holds more than `max` bytes.
 */
export async function readBounded(res: HttpResponse, max: number, what: string): Promise<Buffer> {
  const url = redact(res.url);
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    res.body.destroy();
    throw tooLarge(what, url, max, `it declares ${declared}`);
  }
  const deadlineMs = res.limits ? res.limits.deadlineMs + ((Number.isFinite(declared) ? declared : max) / MIN_BODY_RATE) * 1000 : undefined;
  let timedOut = false;
  const timer = deadlineMs !== undefined ? setTimeout(() => ((timedOut = true), res.body.destroy(new Error('deadline'))), deadlineMs) : undefined;
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
      throw new FerryError('NETWORK_ERROR', `${what} (${url}): not complete after ${s} s (${n} bytes arrived); FERRY_HTTP_DEADLINE sets the wait`, { url, retriable: true });
    }
    throw new FerryError('NETWORK_ERROR', `${what} (${url}): the response broke off after ${n} bytes: ${describeNetworkError(err, res)}`, { url, retriable: true }, { cause: err });
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
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

/** undici's timeout errors in words: what was waited for and how long. */
export function describeNetworkError(err: unknown, res?: Pick<HttpResponse, 'limits'>): string {
  const code = (err as { code?: string })?.code;
  const s = res?.limits ? ` ${res.limits.timeoutMs / 1000} s` : '';
  if (code === 'UND_ERR_BODY_TIMEOUT') return `no data for${s || ' too long'} (FERRY_HTTP_TIMEOUT sets the wait)`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return `no response headers within${s || ' the timeout'} (FERRY_HTTP_TIMEOUT sets the wait)`;
  return (err as Error)?.message ?? String(err);
}

function tooLarge(what: string, url: string, max: number, why: string): FerryError {
  return new FerryError('NETWORK_ERROR', `${what} (${url}): larger than the ${max} bytes ferry reads into memory (${why})`, { url, limit: max, retriable: false });
}

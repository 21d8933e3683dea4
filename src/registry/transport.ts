import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { request } from './undici-lite.js';

/**
 * How much of a response body undici may buffer ahead of the reader (this much per download in flight): the parser
 * pauses, and the socket stops reading, only when the reader falls this far behind. nodejs/undici#5360 (undici 7
 * aborting the process when a server closes a connection under a paused parser) is handled by paused-end-guard.ts,
 * whatever this buffer is.
 */
const BODY_BUFFER = 4 << 20;
import { FerryError } from '../core/errors.js';
import { redact, redactForTrace } from '../core/redact.js';
import { type EventSink, noEvents } from '../core/events.js';
import { type HttpTimeouts, UPLOAD_HEADERS_TIMEOUT_MS, httpTimeoutsFromEnv } from './http-limits.js';
import { describeNetworkError } from './read-body.js';
import { guardPausedEnd } from './paused-end-guard.js';
import { describeTlsError, plainToTlsHint } from './tls-words.js';
import { type RoutingDispatcher, createDispatcher } from './proxy.js';

export interface TransportOptions {
  /** PEM bundle to trust for TLS. */
  caFile?: string;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** Attempts per request for retryable failures (connection errors, 429, 5xx). */
  maxAttempts?: number;
  /** First backoff delay; doubled each attempt, with jitter. */
  baseDelayMs?: number;
  /** Cap for a Retry-After the server asks for. */
  maxRetryAfterMs?: number;
  /** Header and idle waits, and the deadline of bodies read into memory (default: FERRY_HTTP_TIMEOUT / _DEADLINE). */
  timeouts?: Partial<HttpTimeouts>;
  events?: EventSink;
  /** Aborts every request, and every wait between retries, of this transport (the CLI's Ctrl-C). */
  signal?: AbortSignal;
  /** Told every secret obtained through this transport (a Bearer token, a proxy's password), so the CLI can keep it out of all output. */
  onSecret?: (secret: string) => void;
  /** Where HTTPS_PROXY, HTTP_PROXY, NO_PROXY… are read (src/registry/proxy-env.ts); default process.env. */
  proxyEnv?: NodeJS.ProcessEnv;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A Buffer can be re-sent on retry; a stream cannot, so requests with stream bodies are tried once. */
  body?: Buffer | Readable;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable & { dump(): Promise<void>; text(): Promise<string> };
  /** The URL that finally answered (after redirects). */
  url: string;
  /** The transport's waits, for readers of the body (src/registry/read-body.ts). */
  limits?: HttpTimeouts;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * HTTP for everything ferry downloads or uploads: pooled keep-alive connections, retries with backoff on
 * connection errors, 429 (honouring Retry-After) and 5xx, and redirects followed by hand so that Authorization
 * never crosses to another origin (distribution-spec spec.md: clients "MUST NOT forward Authorization headers
 * across host boundaries"; blob downloads are commonly redirected to object storage).
 */
export class Transport {
  /** Direct or through a proxy, per origin (proxy.ts). */
  private readonly router: RoutingDispatcher;
  /** The router behind the nodejs/undici#5360 guard (paused-end-guard.ts): what requests are sent through. */
  private readonly agent: Dispatcher;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxRetryAfterMs: number;
  readonly timeouts: HttpTimeouts;
  readonly events: EventSink;
  private readonly signal: AbortSignal | undefined;
  readonly onSecret: (secret: string) => void;

  constructor(opts: TransportOptions = {}) {
    this.timeouts = { ...httpTimeoutsFromEnv(), ...(opts.timeouts ?? {}) };
    // Direct, or through the proxy the environment names (src/registry/proxy.ts), with the same settings either way.
    this.router = createDispatcher(
      {
        connections: 16,
        keepAliveTimeout: 10_000,
        // No headers, or no next body byte, within this wait: the request fails as a connection error, so it is
        // retried (or a download resumed with Range) and then fails naming the URL. undici's defaults are 300 s each.
        headersTimeout: this.timeouts.timeoutMs,
        bodyTimeout: this.timeouts.timeoutMs,
        connect: {
          ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}),
          rejectUnauthorized: opts.insecure !== true,
        },
      },
      { ...(opts.proxyEnv ? { env: opts.proxyEnv } : {}), ...(opts.onSecret ? { onSecret: opts.onSecret } : {}) },
    );
    this.agent = guardPausedEnd(this.router);
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 250;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
    this.events = opts.events ?? noEvents;
    this.signal = opts.signal;
    this.onSecret = opts.onSecret ?? (() => {});
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.followRedirects(req);
      } catch (err) {
        this.signal?.throwIfAborted(); // an abort is not a network error (and not retried)
        if (!replayable || attempt >= this.maxAttempts || !isConnectionError(err)) throw networkError(req.url, err, this.timeouts, attempt);
        await this.backoff(req.url, attempt, describeNetworkError(err, { limits: this.timeouts }), undefined);
        continue;
      }
      if (!RETRY_STATUS.has(res.status) || !replayable || attempt >= this.maxAttempts) return res;
      await res.body.dump();
      await this.backoff(req.url, attempt, `HTTP ${res.status}`, res.headers['retry-after']);
    }
  }

  private async followRedirects(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let method = req.method;
    let headers = { ...(req.headers ?? {}) };
    let body = req.body;
    for (let hop = 0; ; hop++) {
      const upload = body !== undefined && !Buffer.isBuffer(body);
      const started = performance.now();
      const sent = Buffer.isBuffer(body) ? body.length : lengthOf(headers['content-length'] ?? headers['Content-Length']);
      let r: Awaited<ReturnType<typeof request>>;
      try {
        r = await request(url, {
          method: method as 'GET',
          headers,
          body: body ?? null,
          dispatcher: this.agent,
          highWaterMark: BODY_BUFFER,
          signal: this.signal ?? null,
          ...(upload ? { headersTimeout: Math.max(UPLOAD_HEADERS_TIMEOUT_MS, this.timeouts.timeoutMs) } : {}),
          // undici closes the connection after every HEAD (for servers that wrongly send a body with one, undici#258),
          // so each tag check of a push paid a new TCP (and TLS) handshake. HEAD responses carry no body (RFC 9110
          // 9.3.2) and registries keep to that; a server that did not would break the next response's parse, a
          // connection error that is retried like any other.
          ...(method === 'HEAD' ? { reset: false } : {}),
        });
      } catch (err) {
        this.trace(method, url, started, sent, { error: traceError(err) });
        throw err;
      }
      const flat = flattenHeaders(r.headers);
      this.trace(method, url, started, sent, { status: r.statusCode, bytes: lengthOf(flat['content-length']) });
      const location = flat.location;
      const bodyOut = this.boundedDump(r.body as HttpResponse['body']);
      if (!REDIRECT_STATUS.has(r.statusCode) || !location) {
        return { status: r.statusCode, headers: flat, body: bodyOut, url, limits: this.timeouts };
      }
      await bodyOut.dump();
      if (hop >= MAX_REDIRECTS)
        throw new FerryError('NETWORK_ERROR', `too many redirects from ${redact(req.url)}`, { url: redact(req.url) });
      const next = new URL(location, url);
      if (next.origin !== new URL(url).origin) {
        const { authorization: _dropped, ...rest } = headers;
        headers = rest;
      }
      if (r.statusCode === 303) {
        method = 'GET';
        body = undefined;
      }
      url = next.toString();
    }
  }

  /**
   * undici's `dump()` discards at most 128 KiB, but waits for them as long as bytes keep trickling in (its idle
   * timeout never fires). A body being thrown away gets the idle wait as its whole deadline; then the connection goes.
   */
  private boundedDump(body: HttpResponse['body']): HttpResponse['body'] {
    const dump = body.dump.bind(body) as (opts?: { signal?: AbortSignal; limit?: number }) => Promise<void>;
    body.dump = () => dump({ signal: AbortSignal.timeout(this.timeouts.timeoutMs) }).catch(() => undefined);
    return body;
  }

  /** One request for the --debug trace: never a header or a body, and the URL masked (redactForTrace). */
  private trace(
    method: string,
    url: string,
    started: number,
    sent: number | undefined,
    outcome: { status?: number; bytes?: number | undefined; error?: string },
  ): void {
    const { bytes, ...rest } = outcome;
    const proxy = this.router.proxyFor(url);
    this.events({
      type: 'http',
      method,
      url: redactForTrace(url),
      ms: Math.round(performance.now() - started),
      ...rest,
      ...(bytes !== undefined ? { bytes } : {}),
      ...(sent !== undefined ? { sent } : {}),
      ...(proxy ? { proxy } : {}),
    });
  }

  private async backoff(url: string, attempt: number, reason: string, retryAfter: string | undefined): Promise<void> {
    const asked = parseRetryAfter(retryAfter);
    const delayMs =
      asked !== undefined
        ? Math.min(asked, this.maxRetryAfterMs)
        : Math.round(this.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    this.events({ type: 'retry', url: redact(url), attempt, reason, delayMs });
    await sleep(delayMs, undefined, this.signal ? { signal: this.signal } : {}).catch(() => this.signal?.throwIfAborted());
  }

  async close(): Promise<void> {
    await this.router.close();
  }
}

function lengthOf(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** A failed request in the trace: its error code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT), never its message. */
function traceError(err: unknown): string {
  const e = err as { code?: string; name?: string; cause?: { code?: string } } | undefined;
  return e?.cause?.code ?? e?.code ?? e?.name ?? 'error';
}

export function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Retry-After is seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return (
    CONNECTION_CODES.has(e?.code ?? '') ||
    CONNECTION_CODES.has(e?.cause?.code ?? '') ||
    /socket hang up|other side closed|terminated/i.test(String((err as Error)?.message))
  );
}

function networkError(url: string, err: unknown, limits: HttpTimeouts, attempts: number): FerryError {
  if (err instanceof FerryError) return err;
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  const tls = describeTlsError(err, url);
  // The fix first, the URL after it: "the registry at HOST answered plain HTTP: add --plain-http (https://HOST/v2/)".
  if (tls)
    return new FerryError('NETWORK_ERROR', `${tls} (${redact(url)})`, { url: redact(url), retriable: false, tls: true }, { cause: err });
  const dropped = droppedUnanswered(err) ? plainToTlsHint(url) : undefined;
  return new FerryError(
    'NETWORK_ERROR',
    `${redact(url)}: ${describeNetworkError(err, { limits }, url)}${tries}${dropped ? `; ${dropped}` : ''}`,
    { url: redact(url), retriable: isConnectionError(err) },
    { cause: err },
  );
}

/** The server took the connection and dropped it without an answer (what a TLS server does to plain HTTP). */
function droppedUnanswered(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  const code = e?.code ?? e?.cause?.code ?? '';
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || /socket hang up|other side closed/i.test(String((err as Error)?.message));
}

/** A URL fit for messages: user-info masked, no query (upload and presigned URLs carry secrets there). */
export { redact };

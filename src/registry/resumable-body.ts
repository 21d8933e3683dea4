import { Readable } from 'node:stream';
import { FerryError, isFerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { describeNetworkError } from './read-body.js';
import { type HttpResponse, isConnectionError, redact } from './transport.js';

export interface ResumeOptions {
  /** Where the caller wants the bytes to start. */
  offset: number;
  /** Known total size, when there is one (a blob's descriptor, a file's lock or HEAD). */
  size?: number;
  /** URL for messages (credentials and query stripped by redact). */
  url: string;
  events: EventSink;
  maxResumes?: number;
}

/**
 * A download that survives connections that end before the body does: it asks again with `Range: bytes=<have>-` and
 * continues, accepting only a 206 whose Content-Range starts exactly at `<have>` (RFC 9110 §14.2; distribution-spec:
 * registries SHOULD support Range on blobs). A server that answers 200 to a ranged request would repeat bytes, so that
 * fails with `isRangeRefused` and the caller starts over. `open` must go through the registry each time, since
 * redirect targets (presigned URLs) expire; it goes through Transport.send, so a re-open answered 429 or 503 is
 * retried there (Retry-After honoured) like a first request. The caller verifies the digest of the whole.
 *
 * Every way a body can end early is resumed the same, for files and blobs: a reset or a stall (isConnectionError), a
 * clean close before the Content-Length (undici: UND_ERR_RES_CONTENT_LENGTH_MISMATCH), a chunked body without its last
 * chunk (HTTPParserError "Invalid EOF state"), and a body without a length (HTTP/1.0, ended by the close) that ends
 * before the size we know. Without a known size the last one cannot be told from the end: the digest check catches it.
 */
export function resumableBody(open: (range: number) => Promise<HttpResponse>, opts: ResumeOptions): Readable {
  const maxResumes = opts.maxResumes ?? 5;
  async function* gen(): AsyncGenerator<Buffer> {
    let have = opts.offset;
    let size = opts.size;
    for (let resumes = 0; ; resumes++) {
      const res = await open(have);
      checkStart(res, have, opts.url);
      size ??= totalSize(res, have);
      let why: string;
      let cause: unknown;
      try {
        for await (const chunk of res.body) {
          have += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (size === undefined || have >= size) return;
        why = `the server ended the body at byte ${have} of ${size}`;
      } catch (err) {
        // Ctrl-C (issue 12): the abort is the error. Wrapped as a broken-off download it would read as retriable,
        // and the blob copy would print a "retry" line and try again after the interrupt.
        if (isAbort(err)) throw err;
        if (!isBrokenOff(err)) throw brokeOff(opts.url, have, (err as Error).message, err);
        why = describeBreak(err, res);
        cause = err;
      }
      if (resumes >= maxResumes) throw brokeOff(opts.url, have, `${why} (resumed ${resumes} times)`, cause);
      opts.events({ type: 'retry', url: redact(opts.url), attempt: resumes + 1, reason: `${why}; resuming at byte ${have}`, delayMs: 0 });
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

/**
 * A body that stopped because its connection ended before it did, so the rest can be asked for with Range: a reset or
 * stall, a close before the promised Content-Length, a chunked body cut before its terminating chunk.
 */
export function isBrokenOff(err: unknown): boolean {
  if (isConnectionError(err)) return true;
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  return e?.code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || (e?.name === 'HTTPParserError' && /Invalid EOF state/i.test(e.message ?? ''));
}

/** The signal's reason (the CLI aborts with an INTERRUPTED FerryError) or undici's AbortError for a bare abort. */
function isAbort(err: unknown): boolean {
  return isFerryError(err, 'INTERRUPTED') || (err as Error | undefined)?.name === 'AbortError';
}

function describeBreak(err: unknown, res: HttpResponse): string {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  if (e?.code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
    return 'the server closed the connection before the end of the body (Content-Length)';
  if (e?.name === 'HTTPParserError') return 'the server closed the connection before the last chunk of the body';
  return `connection lost (${describeNetworkError(err, res)})`;
}

function brokeOff(url: string, have: number, why: string, cause: unknown): FerryError {
  return new FerryError(
    'NETWORK_ERROR',
    `${redact(url)}: download broke off at byte ${have}: ${why}`,
    { url: redact(url), retriable: true },
    cause !== undefined ? { cause } : undefined,
  );
}

/** The whole size a response states: a 206's Content-Range total, a 200's Content-Length. */
function totalSize(res: HttpResponse, have: number): number | undefined {
  const total = /\/(\d+)\s*$/.exec(res.headers['content-range'] ?? '')?.[1];
  if (res.status === 206 && total !== undefined) return Number(total);
  const length = res.headers['content-length'];
  return res.status === 200 && length !== undefined && /^\d+$/.test(length) ? have + Number(length) : undefined;
}

/**
 * A server that cannot continue where we asked (HTTP 200 to a ranged request: it ignores Range and would repeat the
 * bytes already kept; a Content-Range starting elsewhere; 416 for a prefix it no longer has) fails with
 * `details.rangeRefused`: the kept prefix is then useless, and the store starts again from byte 0 (content-store.ts).
 */
function checkStart(res: HttpResponse, have: number, url: string): void {
  if (have === 0 && res.status === 200) return;
  const safe = redact(url);
  if (res.status === 206) {
    const m = /^bytes (\d+)-/.exec(res.headers['content-range'] ?? '');
    if (m && Number(m[1]) === have) return;
    discard(res);
    throw new FerryError(
      'NETWORK_ERROR',
      `${safe}: asked to resume at byte ${have}, server answered Content-Range "${res.headers['content-range'] ?? ''}"`,
      { url: safe, rangeRefused: true, retriable: true },
    );
  }
  discard(res);
  if (have > 0 && (res.status === 200 || res.status === 416)) {
    const why =
      res.status === 200
        ? 'the server ignores Range requests (HTTP 200 to Range: bytes=' + have + '-)'
        : 'the server no longer has those bytes (HTTP 416)';
    throw new FerryError('NETWORK_ERROR', `${safe}: cannot resume at byte ${have}: ${why}`, {
      url: safe,
      rangeRefused: true,
      retriable: true,
    });
  }
  throw new FerryError(res.status === 404 ? 'NOT_FOUND' : 'REGISTRY_ERROR', `${safe}: HTTP ${res.status}`, {
    url: safe,
    status: res.status,
  });
}

/** Drops a body we will not read; undici reports the abort as an error event, which nobody else listens to. */
function discard(res: HttpResponse): void {
  res.body.on('error', () => {});
  res.body.destroy();
}

import { Readable } from 'node:stream';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { type HttpResponse, isConnectionError, redact } from './transport.js';

export interface ResumeOptions {
  /** Where the caller wants the bytes to start. */
  offset: number;
  /** Known total size, when there is one. */
  size?: number;
  /** URL for messages (credentials and query stripped by redact). */
  url: string;
  events: EventSink;
  maxResumes?: number;
}

/**
 * A download that survives dropped connections: when the body breaks off, it asks again with
 * `Range: bytes=<have>-` and continues, accepting only a 206 whose Content-Range starts exactly at `<have>`
 * (RFC 9110 §14.2; distribution-spec: registries SHOULD support Range on blobs). A server that answers 200 to a
 * ranged request would repeat bytes, so that fails with `isRangeRefused` and the caller starts over. `open` must go through the registry each time,
 * since redirect targets (presigned URLs) expire. The caller verifies the digest of the whole.
 */
export function resumableBody(open: (range: number) => Promise<HttpResponse>, opts: ResumeOptions): Readable {
  const maxResumes = opts.maxResumes ?? 5;
  async function* gen(): AsyncGenerator<Buffer> {
    let have = opts.offset;
    for (let resumes = 0; ; resumes++) {
      const res = await open(have);
      checkStart(res, have, opts.url);
      try {
        for await (const chunk of res.body) {
          have += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        return;
      } catch (err) {
        if (!isConnectionError(err) || resumes >= maxResumes) {
          throw new FerryError('NETWORK_ERROR', `${redact(opts.url)}: download broke off at byte ${have}: ${(err as Error).message}`, { url: redact(opts.url), retriable: true }, { cause: err });
        }
        opts.events({ type: 'retry', url: redact(opts.url), attempt: resumes + 1, reason: `connection lost at byte ${have}, resuming`, delayMs: 0 });
      }
      if (opts.size !== undefined && have >= opts.size) return;
    }
  }
  return Readable.from(gen(), { objectMode: false });
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
    throw new FerryError('NETWORK_ERROR', `${safe}: asked to resume at byte ${have}, server answered Content-Range "${res.headers['content-range'] ?? ''}"`, { url: safe, rangeRefused: true, retriable: true });
  }
  discard(res);
  if (have > 0 && (res.status === 200 || res.status === 416)) {
    const why = res.status === 200 ? 'the server ignores Range requests (HTTP 200 to Range: bytes=' + have + '-)' : 'the server no longer has those bytes (HTTP 416)';
    throw new FerryError('NETWORK_ERROR', `${safe}: cannot resume at byte ${have}: ${why}`, { url: safe, rangeRefused: true, retriable: true });
  }
  throw new FerryError(res.status === 404 ? 'NOT_FOUND' : 'REGISTRY_ERROR', `${safe}: HTTP ${res.status}`, { url: safe, status: res.status });
}

/** Drops a body we will not read; undici reports the abort as an error event, which nobody else listens to. */
function discard(res: HttpResponse): void {
  res.body.on('error', () => {});
  res.body.destroy();
}

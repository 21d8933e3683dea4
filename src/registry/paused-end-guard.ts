import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { DiagnosticsChannel, Dispatcher } from 'undici';

/**
 * A workaround for nodejs/undici#5360 on undici 7 (fixed in undici 8, nodejs/undici#5474, which needs Node 22).
 *
 * undici's HTTP/1 parser pauses when a response body's reader is behind (the handler's onData returns false). When
 * the server then ends a connection that is not kept alive (HTTP/1.0, `Connection: close`), undici's socket 'end'
 * handler calls `Parser.finish()`, which asserts `!this.paused`; so does its 'error' handler for ECONNRESET. The
 * assertion is thrown from a socket event, where no caller can catch it, and ends the process. It fires when the
 * parser paused on the last bytes the socket held before its end: the final bytes of a complete Content-Length body,
 * or any bytes of a body that ends at EOF (no length), or of one cut short (Content-Length or chunked, truncated).
 *
 * What this does, without touching undici:
 * - A Content-Length body is never paused on its final bytes: once they are all in, a pause is not passed on, so the
 *   parser goes on to the end of the message (at most the last chunk is buffered beyond the reader's high-water mark).
 * - For the other framings it needs the socket. undici publishes each request's socket on the documented diagnostics
 *   channel `undici:client:sendHeaders`, synchronously inside the same call that has just told this handler that the
 *   request is starting (onRequestStart); that is how a socket is paired with its request. On the socket, listeners
 *   put before undici's own: at 'end' (the socket is still open), a paused parser is resumed, so undici's finish()
 *   sees it running and ends the body normally (EOF-delimited) or with its usual error (a short Content-Length:
 *   UND_ERR_RES_CONTENT_LENGTH_MISMATCH; a chunked body without its last chunk: HPE_INVALID_EOF_STATE), which the
 *   download then resumes from (resumable-body.ts). At an ECONNRESET the socket is already destroyed and cannot be
 *   resumed, so the error's code is renamed for the moment undici's handler looks at it, which sends undici down its
 *   ordinary socket-error path instead of finish(); the request then fails with the error, its code restored.
 * Nothing is buffered beyond what undici already holds: after the end of the socket no more bytes can come.
 */
export function guardPausedEnd(dispatcher: Dispatcher): Dispatcher {
  if (!subscribed) {
    subscribe('undici:client:sendHeaders', onSendHeaders);
    subscribed = true;
  }
  return dispatcher.compose((dispatch) => (opts, handler) => dispatch(opts, new Guard(handler, opts)));
}

let subscribed = false;
/** The guard whose request undici is writing right now (between its onRequestStart and the sendHeaders message). */
let starting: Guard | undefined;
/** The guard of the request each socket is carrying now. */
const carrying = new WeakMap<Socket, Guard>();
const watched = new WeakSet<Socket>();
const RENAMED = 'ECONNRESET_WHILE_PAUSED';

function onSendHeaders(message: unknown): void {
  const { request, socket } = message as DiagnosticsChannel.ClientSendHeadersMessage;
  const guard = starting;
  starting = undefined;
  if (!guard || request.method !== guard.method || request.path !== guard.path) return;
  guard.socket = socket;
  carrying.set(socket, guard);
  if (watched.has(socket)) return;
  watched.add(socket);
  socket.prependListener('end', () => carrying.get(socket)?.socketEnded());
  socket.prependListener('error', (err: Error & { code?: string }) => carrying.get(socket)?.socketFailed(err));
}

class Guard implements Dispatcher.DispatchHandler {
  readonly method: string;
  readonly path: string;
  socket: Socket | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  /** The body's Content-Length, when that is its framing. */
  private expected: number | undefined;
  private received = 0;
  /** The socket has ended or failed: no byte can come any more, so pausing serves nothing. */
  private over = false;
  private renamed: (Error & { code?: string }) | undefined;
  private readonly view: Dispatcher.DispatchController;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    opts: Dispatcher.DispatchOptions,
  ) {
    this.method = opts.method;
    this.path = opts.path;
    // The wrapped controller's methods run with undici's `this`; they reach the guard through this alias.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const real = () => self.controller as Dispatcher.DispatchController;
    this.view = {
      get aborted() {
        return real().aborted;
      },
      get paused() {
        return real().paused;
      },
      get reason() {
        return real().reason;
      },
      get rawHeaders() {
        return real().rawHeaders;
      },
      get rawTrailers() {
        return real().rawTrailers;
      },
      abort: (reason: Error) => real().abort(reason),
      pause: () => {
        if (!self.mustNotPause()) real().pause();
      },
      resume: () => real().resume(),
    };
  }

  private mustNotPause(): boolean {
    return this.over || (this.expected !== undefined && this.received >= this.expected);
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.controller = controller;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    starting = this;
    // undici publishes sendHeaders synchronously after this call, or not at all (an aborted request): never later.
    queueMicrotask(() => starting === this && (starting = undefined));
    this.inner.onRequestStart?.(this.view, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    socket: import('node:stream').Duplex,
  ): void {
    this.release();
    this.controller = controller;
    this.inner.onRequestUpgrade?.(this.view, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this.controller = controller;
    this.received = 0;
    this.expected = contentLength(this.method, statusCode, headers);
    this.inner.onResponseStart?.(this.view, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.controller = controller;
    this.received += chunk.length;
    this.inner.onResponseData?.(this.view, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    this.release();
    this.inner.onResponseEnd?.(this.view, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.release();
    if (err === this.renamed) (err as Error & { code?: string }).code = 'ECONNRESET';
    this.inner.onResponseError?.(this.view, err);
  }

  /** The server ended the connection (FIN): a paused parser is resumed before undici's handler finishes it. */
  socketEnded(): void {
    this.over = true;
    if (this.controller?.paused) this.controller.resume();
  }

  /** undici calls finish() only for ECONNRESET; under a pause that would assert, so it sees another code. */
  socketFailed(err: Error & { code?: string }): void {
    this.over = true;
    if (err.code !== 'ECONNRESET' || !this.controller?.paused) return;
    err.code = RENAMED;
    this.renamed = err;
  }

  private release(): void {
    if (this.socket && carrying.get(this.socket) === this) carrying.delete(this.socket);
    this.socket = undefined;
  }
}

/** The Content-Length of a response body framed by it (not HEAD, not bodiless statuses, not chunked). */
function contentLength(method: string, statusCode: number, headers: Record<string, string | string[] | undefined>): number | undefined {
  if (method === 'HEAD' || statusCode < 200 || statusCode === 204 || statusCode === 304) return undefined;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const value = headers['content-length'];
  return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

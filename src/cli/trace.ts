import type { FerryEvent } from '../core/events.js';

type HttpEvent = Extract<FerryEvent, { type: 'http' }>;

/**
 * One line of the --debug HTTP trace: `http: GET URL → 200 in 12 ms, 1024 bytes[, via proxy HOST:PORT]`. The URL is
 * masked by the transport (redactForTrace) and the line goes through the scrubber like every other line; headers and
 * bodies are never shown.
 */
export function formatHttp(e: HttpEvent): string {
  const sizes: string[] = [];
  if (e.sent) sizes.push(`sent ${e.sent} bytes`);
  // A HEAD answer has no body: its Content-Length is the size of what a GET would bring.
  if (e.bytes !== undefined && e.method === 'HEAD') sizes.push(`content-length ${e.bytes}`);
  else if (e.bytes) sizes.push(`${e.bytes} bytes`);
  // The proxy's host:port only (its credentials never reach an event): which NO_PROXY entries took effect.
  const tail = `${sizes.length > 0 ? `, ${sizes.join(', ')}` : ''}${e.proxy ? `, via proxy ${e.proxy}` : ''}`;
  if (e.status === undefined) return `http: ${e.method} ${e.url} → ${e.error ?? 'no response'} after ${e.ms} ms${tail}`;
  return `http: ${e.method} ${e.url} → ${e.status} in ${e.ms} ms${tail}`;
}

/** A -v line for a blob: what happened to it, its digest and size. */
export function formatBlob(e: Extract<FerryEvent, { type: 'blob' }>): string {
  return `  blob ${e.action} ${e.digest} (${e.size} bytes)${e.repo ? ` ${e.repo}` : ''}`;
}

/**
 * The library never prints. It reports what it is doing through events; the CLI renders them (progress bars on a
 * TTY, plain lines otherwise, JSON for machines). Events are plain data so they can be logged or tested.
 *
 * Progress is by bytes against known totals, per phase: a `phase` event announces what the phase will move
 * (`totalBytes`, `totalItems`) and every `bytes` event names the phase its bytes belong to, so bytes of one phase
 * (a pull's downloads) are never added to another's (the bundle writer running beside them). A `phase` event for a
 * phase already announced updates its totals; it does not start it over.
 */
export type Phase = 'resolve' | 'fetch' | 'write' | 'verify' | 'push' | 'tag' | 'stage';

export type FerryEvent =
  | {
      type: 'phase';
      phase: Phase | string;
      detail?: string;
      totalBytes?: number;
      totalItems?: number;
      /** What its items are (`images`). */ itemNoun?: string;
    }
  | { type: 'artifact-start'; kind: string; name: string; bytes?: number }
  | { type: 'artifact-done'; kind: string; name: string; digest?: string; skipped?: boolean }
  /** Bytes moved (downloaded, written, uploaded or hashed) since the last event, in `phase` (else the current one). */
  | { type: 'bytes'; n: number; phase?: Phase | string }
  | {
      type: 'blob';
      action: 'fetched' | 'cached' | 'uploaded' | 'mounted' | 'exists';
      digest: string;
      size: number;
      repo?: string;
      phase?: Phase | string;
    }
  /** A tag pinned to a digest while resolving (counts towards the resolve phase's totalItems). */
  | { type: 'resolved'; kind: string; name: string; digest: string }
  | { type: 'retry'; url: string; attempt: number; reason: string; delayMs: number }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  /**
   * One HTTP exchange (each redirect hop and retry apart), shown with --debug. `url` is masked for display
   * (redactForTrace); `ms` is the time to the response headers; `bytes` the response's Content-Length, `sent` the
   * request body's length when known; `error` instead of `status` when no response came; `proxy` the host:port of the
   * proxy the request went through (HTTPS_PROXY and kin, never their credentials), absent when it went direct.
   */
  | {
      type: 'http';
      method: string;
      url: string;
      status?: number;
      ms: number;
      bytes?: number;
      sent?: number;
      error?: string;
      proxy?: string;
    };

export type EventSink = (e: FerryEvent) => void;

export const noEvents: EventSink = () => {};

/** A sink that files every untagged `bytes` and `blob` event under `phase` (for code shared by several phases). */
export function inPhase(events: EventSink, phase: Phase): EventSink {
  return (e) => events((e.type === 'bytes' || e.type === 'blob') && e.phase === undefined ? { ...e, phase } : e);
}

/**
 * The library never prints. It reports what it is doing through events; the CLI renders them (progress bars on a
 * TTY, plain lines otherwise, JSON for machines). Events are plain data so they can be logged or tested.
 */
export type FerryEvent =
  | { type: 'phase'; phase: string; detail?: string }
  | { type: 'artifact-start'; kind: string; name: string; bytes?: number }
  | { type: 'artifact-done'; kind: string; name: string; digest?: string; skipped?: boolean }
  | { type: 'bytes'; n: number } // bytes moved (downloaded, uploaded or hashed) since the last event
  | { type: 'blob'; action: 'fetched' | 'cached' | 'uploaded' | 'mounted' | 'exists'; digest: string; size: number; repo?: string }
  | { type: 'retry'; url: string; attempt: number; reason: string; delayMs: number }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  /**
   * One HTTP exchange (each redirect hop and retry apart), shown with --debug. `url` is masked for display
   * (redactForTrace); `ms` is the time to the response headers; `bytes` the response's Content-Length, `sent` the
   * request body's length when known; `error` instead of `status` when no response came.
   */
  | { type: 'http'; method: string; url: string; status?: number; ms: number; bytes?: number; sent?: number; error?: string };

export type EventSink = (e: FerryEvent) => void;

export const noEvents: EventSink = () => {};

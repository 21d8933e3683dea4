import { type ErrorCode, FerryError } from '../core/errors.js';
import { redact } from '../core/redact.js';

/** One entry of a manifest that could not be resolved. */
export interface ResolveFailure {
  /** `image docker.io/library/alpine:3.19`, `file https://…/velero.tar.gz`. */
  what: string;
  /** The URL asked (redacted). */
  url: string;
  code: ErrorCode;
  message: string;
  /** The error itself (rethrown as it is when it is the only one). */
  error: unknown;
}

/**
 * Settles every resolve of a kind and returns the values, or collects each failure: a manifest naming three missing
 * tags hears of all three at once, as it hears of all its manifest errors (src/manifest/load.ts).
 */
export async function settleAll<E, T>(
  entries: readonly E[],
  resolve: (entry: E) => Promise<T>,
  describe: (entry: E, err: unknown) => { what: string; url: string },
  failures: ResolveFailure[],
): Promise<T[]> {
  const settled = await Promise.allSettled(entries.map(resolve));
  const values: T[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') return void values.push(s.value);
    const err = s.reason as unknown;
    const { what, url } = describe(entries[i] as E, err);
    const fe = err instanceof FerryError ? err : undefined;
    const detailsUrl = typeof fe?.details.url === 'string' ? fe.details.url : undefined;
    failures.push({
      what,
      url: redact(detailsUrl ?? url),
      code: fe?.code ?? 'INTERNAL',
      message: err instanceof Error ? err.message : String(err),
      error: err,
    });
  });
  return values;
}

/**
 * Throws when any entry failed: the one error as it was when only one did; else one error listing each (what, URL,
 * why), whose code is the first failure's and whose `details.failures` carry every code, so the CLI exits with the
 * worst (src/cli/output.ts).
 */
export function throwIfFailed(failures: ResolveFailure[], total: number): void {
  if (failures.length === 0) return;
  const first = failures[0] as ResolveFailure;
  if (failures.length === 1) throw first.error;
  const lines = failures.map((f) => `${f.what} (${f.url}): ${f.message.replace(/\n\s*/g, '; ')}`);
  throw new FerryError(
    first.code,
    `${failures.length} of ${total} manifest entries could not be resolved, nothing was pulled:\n  ${lines.join('\n  ')}`,
    {
      failures: failures.map(({ what, url, code, message }) => ({ what, url, code, message })),
    },
  );
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, as Array.prototype.sort does) at every depth,
 * undefined members left out, 2-space indent, one trailing newline. Arrays keep their order; callers that want a
 * defined order sort them first. The same value always gives the same bytes, so locks diff cleanly and the
 * same resolution gives byte-identical files.
 */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(obj).sort()) {
      if (obj[k] !== undefined) out[k] = sortKeys(obj[k]);
    }
    return out;
  }
  return v;
}

/** A comparator by a string key in code-unit order: locale-independent, so every machine sorts alike. */
export const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T): number =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

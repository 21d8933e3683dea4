export type Values = Record<string, unknown>;

export const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Helm's coalescing of values (helm pkg/chart/util/coalesce.go): maps merge key by key, anything else in `over`
 * replaces what is in `base`, and a `null` in `over` deletes the key.
 */
export function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = mergeValues(out[k] as Values, v);
    else out[k] = v;
  }
  return out;
}

/**
 * The values a subchart sees: its own defaults, overridden by the parent's section for it (keyed by alias or
 * name), with the parent's `global` merged into its `global` (helm: globals flow down, the parent wins).
 */
export function subchartValues(own: Values, parent: Values, key: string): Values {
  const section = isMap(parent[key]) ? (parent[key] as Values) : {};
  const merged = mergeValues(own, section);
  const parentGlobal = isMap(parent.global) ? (parent.global as Values) : {};
  const ownGlobal = isMap(merged.global) ? (merged.global as Values) : {};
  return { ...merged, global: mergeValues(ownGlobal, parentGlobal) };
}

/** A dotted path into values (`grafana.enabled`). */
export function valueAt(values: Values, path: string): unknown {
  let cur: unknown = values;
  for (const part of path.split('.')) {
    if (!isMap(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

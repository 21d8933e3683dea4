import { stringify } from 'yaml';
import { Unknown, firstUnknown, isKnown, markOf, truth } from './unknown.js';

/**
 * The functions Helm's templates call most (Go's builtins and Sprig's, as Helm registers them), on known values.
 * A strict function given anything unknown returns Unknown; a text function passes markers through, so
 * `printf "%s:%s" .Values.repo .Capabilities.KubeVersion.Version` stays `repo:<marker>`. The evaluator handles
 * `include`, `tpl`, `and`, `or`, `index`, `get`, `dig` and `fail` itself; any other name gives Unknown.
 */
type Fn = (args: unknown[]) => unknown;

/** Go's fmt of a value into template output (Helm writes a missing value as ""). */
export function toText(v: unknown): string {
  if (v instanceof Unknown) return markOf(v);
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(toText).join(' ')}]`;
  if (typeof v === 'object')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${toText((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return String(v);
}

const str = (v: unknown): string => toText(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number.parseInt(v, 10) || 0 : v === true ? 1 : 0);
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const deepUnknown = (v: unknown, depth = 0): Unknown | undefined => {
  if (depth > 64) return new Unknown('a deep value');
  if (!isKnown(v)) return firstUnknown([v]);
  if (Array.isArray(v))
    for (const x of v) {
      const u = deepUnknown(x, depth + 1);
      if (u) return u;
    }
  else if (isMap(v))
    for (const x of Object.values(v)) {
      const u = deepUnknown(x, depth + 1);
      if (u) return u;
    }
  return undefined;
};

function merge(dst: Record<string, unknown>, src: Record<string, unknown>, overwrite: boolean): Record<string, unknown> {
  for (const [k, v] of Object.entries(src)) {
    const cur = dst[k];
    if (isMap(cur) && isMap(v)) dst[k] = merge({ ...cur }, v, overwrite);
    else if (overwrite || cur === undefined || cur === null) dst[k] = v;
  }
  return dst;
}

/** `printf`: Go's verbs that charts use for names and references (%s %v %d %q %t %%), widths ignored. */
function printf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%[-+# 0]*\d*(?:\.\d+)?([svdqtx%])/g, (_, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    if (verb === 'q') return JSON.stringify(str(a));
    if (verb === 'd') return a instanceof Unknown ? markOf(a) : String(Math.trunc(num(a)));
    if (verb === 'x')
      return a instanceof Unknown ? markOf(a) : typeof a === 'number' ? a.toString(16) : Buffer.from(str(a)).toString('hex');
    return str(a);
  });
}

const eq = (a: unknown, b: unknown) =>
  typeof a === 'number' && typeof b === 'number' ? a === b : str(a) === str(b) && typeof a === typeof b;

/** Functions of text: they take and give strings, unknown parts marked. */
const TEXT: Record<string, Fn> = {
  printf: ([f, ...a]) => printf(str(f), a),
  print: (a) => a.map(str).join(''),
  println: (a) => `${a.map(str).join(' ')}\n`,
  quote: (a) => a.map((v) => JSON.stringify(str(v))).join(' '),
  squote: (a) => a.map((v) => `'${str(v)}'`).join(' '),
  cat: (a) =>
    a
      .filter((v) => v !== undefined && v !== null)
      .map(str)
      .join(' '),
  toString: (a: unknown[]) => str(a[0]),
  trim: ([s]) => str(s).trim(),
  trimPrefix: ([p, s]) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  trimSuffix: ([p, s]) => (str(s).endsWith(str(p)) && str(p) ? str(s).slice(0, -str(p).length) : str(s)),
  trimAll: ([c, s]) => str(s).replace(new RegExp(`^[${escapeClass(str(c))}]+|[${escapeClass(str(c))}]+$`, 'g'), ''),
  lower: ([s]) => str(s).toLowerCase(),
  upper: ([s]) => str(s).toUpperCase(),
  replace: ([o, n, s]) => str(s).split(str(o)).join(str(n)),
  nospace: ([s]) => str(s).replace(/\s+/g, ''),
  trunc: ([n, s]) => (num(n) >= 0 ? str(s).slice(0, num(n)) : str(s).slice(num(n))),
  indent: ([n, s]) => str(s).replace(/^/gm, ' '.repeat(num(n))),
  nindent: ([n, s]) => `\n${str(s).replace(/^/gm, ' '.repeat(num(n)))}`,
  join: ([sep, l]) => (Array.isArray(l) ? l.map(str).join(str(sep)) : str(l)),
};
const escapeClass = (s: string) => s.replace(/[\]\\^-]/g, '\\$&');

/** Functions of values: given anything unknown, they return it. */
const STRICT: Record<string, Fn> = {
  empty: ([v]) => !truth(v),
  not: ([v]) => !truth(v),
  eq: ([a, ...bs]) => bs.some((b) => eq(a, b)),
  ne: ([a, b]) => !eq(a, b),
  lt: ([a, b]) => num(a) < num(b),
  le: ([a, b]) => num(a) <= num(b),
  gt: ([a, b]) => num(a) > num(b),
  ge: ([a, b]) => num(a) >= num(b),
  len: ([v]) => (typeof v === 'string' || Array.isArray(v) ? v.length : isMap(v) ? Object.keys(v).length : 0),
  contains: ([sub, s]) => str(s).includes(str(sub)),
  hasPrefix: ([p, s]) => str(s).startsWith(str(p)),
  hasSuffix: ([p, s]) => str(s).endsWith(str(p)),
  hasKey: ([m, k]) => isMap(m) && str(k) in m,
  keys: (ms) => ms.flatMap((m) => (isMap(m) ? Object.keys(m) : [])).sort(),
  first: ([l]) => (Array.isArray(l) ? l[0] : undefined),
  last: ([l]) => (Array.isArray(l) ? l[l.length - 1] : undefined),
  has: ([v, l]) => Array.isArray(l) && l.some((x) => eq(x, v)),
  splitList: ([sep, s]) => str(s).split(str(sep)),
  int: ([v]) => Math.trunc(num(v)),
  int64: ([v]) => Math.trunc(num(v)),
  float64: ([v]) => Number(v) || 0,
  atoi: ([v]) => Number.parseInt(str(v), 10) || 0,
  add: (a) => a.reduce<number>((s, v) => s + num(v), 0),
  sub: ([a, b]) => num(a) - num(b),
  mul: (a) => a.reduce<number>((s, v) => s * num(v), 1),
  max: (a) => Math.max(...a.map(num)),
  min: (a) => Math.min(...a.map(num)),
  kindIs: ([k, v]) => kind(v) === str(k),
  kindOf: ([v]) => kind(v),
  typeOf: ([v]) => kind(v),
  toYaml: ([v]) => (v === undefined || v === null ? 'null' : stringify(v, { lineWidth: 0 }).replace(/\n$/, '')),
  toJson: ([v]) => JSON.stringify(v ?? null),
  toRawJson: ([v]) => JSON.stringify(v ?? null),
  fromYaml: () => new Unknown('fromYaml'),
  required: ([msg, v]) => (truth(v) === false ? new Unknown(`a required value (${str(msg)})`) : v),
  merge: ([d, ...s]) => s.filter(isMap).reduce((acc, m) => merge(acc, m, false), isMap(d) ? d : {}),
  mergeOverwrite: ([d, ...s]) => s.filter(isMap).reduce((acc, m) => merge(acc, m, true), isMap(d) ? d : {}),
  deepCopy: ([v]) => (v === undefined ? v : structuredClone(v)),
  omit: ([m, ...ks]) => (isMap(m) ? Object.fromEntries(Object.entries(m).filter(([k]) => !ks.map(str).includes(k))) : {}),
  pick: ([m, ...ks]) => (isMap(m) ? Object.fromEntries(Object.entries(m).filter(([k]) => ks.map(str).includes(k))) : {}),
  concat: (ls) => ls.flatMap((l) => (Array.isArray(l) ? l : [])),
  append: ([l, v]) => [...(Array.isArray(l) ? l : []), v],
  uniq: ([l]) => (Array.isArray(l) ? [...new Set(l)] : []),
  compact: ([l]) => (Array.isArray(l) ? l.filter((x) => truth(x) === true) : []),
  sortAlpha: ([l]) => (Array.isArray(l) ? l.map(str).sort() : []),
  regexMatch: ([re, s]) => safeRegex(str(re))?.test(str(s)) ?? new Unknown('a regular expression'),
  regexReplaceAll: ([re, s, r]) => {
    const rx = safeRegex(str(re), 'g');
    return rx ? str(s).replace(rx, str(r).replace(/\$\{?(\d+)\}?/g, '$$$1')) : new Unknown('a regular expression');
  },
};

/** Functions that only the cluster, the clock or chance can answer. */
const OPAQUE = [
  'lookup',
  'semverCompare',
  'semver',
  'now',
  'date',
  'randAlphaNum',
  'randAlpha',
  'uuidv4',
  'sha256sum',
  'b64enc',
  'b64dec',
  'genCA',
  'genSignedCert',
  'genPrivateKey',
  'htpasswd',
  'derivePassword',
  'fromJson',
  'toToml',
];

/** Strict functions accept lists and maps holding unknown values only where they build them (list, dict, set). */
const BUILDERS: Record<string, Fn> = {
  list: (a) => [...a],
  dict: (a) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < a.length; i += 2) out[str(a[i])] = a[i + 1];
    return out;
  },
  set: ([m, k, v]) => {
    if (isMap(m)) m[str(k)] = v;
    return m;
  },
  unset: ([m, k]) => {
    if (isMap(m)) delete m[str(k)];
    return m;
  },
  // `default D V`: V unless it is empty; an unknown V is kept whatever D is.
  default: (a) => (a.length < 2 ? a[0] : truth(a[1]) === false ? a[0] : a[1]),
  ternary: ([a, b, c]) => {
    const t = truth(c);
    return t instanceof Unknown ? t : t ? a : b;
  },
  coalesce: (a) => {
    for (const v of a) {
      const t = truth(v);
      if (t instanceof Unknown) return t;
      if (t) return v;
    }
    return undefined;
  },
};

function kind(v: unknown): string {
  if (v === undefined || v === null) return 'invalid';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  return Array.isArray(v) ? 'slice' : 'map';
}

function safeRegex(re: string, flags = ''): RegExp | undefined {
  if (re.length > 512 || /\(\?[a-zA-Z]/.test(re)) return undefined;
  try {
    return new RegExp(re, flags);
  } catch {
    return undefined;
  }
}

export const FUNCS: Record<string, Fn> = Object.assign(
  Object.create(null) as Record<string, Fn>,
  TEXT,
  BUILDERS,
  Object.fromEntries(
    Object.entries(STRICT).map(([name, fn]) => [
      name,
      (args: unknown[]) => {
        const u = name === 'toYaml' || name === 'toJson' || name === 'toRawJson' ? deepUnknown(args[0]) : firstUnknown(args);
        return u ?? fn(args);
      },
    ]),
  ),
  Object.fromEntries(OPAQUE.map((name) => [name, () => new Unknown(name === 'lookup' ? 'a cluster lookup' : `function ${name}`)])),
);

/**
 * What static evaluation cannot know (the cluster's Kubernetes version, a lookup, a file's content): a value of its
 * own, so that a condition on it takes both branches and an image built from it is flagged rather than guessed. In
 * text it becomes a marker from Unicode's private use area, which no chart's template writes.
 */
export class Unknown {
  constructor(readonly why: string) {}
}

const OPEN = '\uE000';
const CLOSE = '\uE001';

export const markOf = (u: Unknown): string => `${OPEN}${u.why}${CLOSE}`;
export const hasMark = (s: string): boolean => s.includes(OPEN);
/** The reasons marked in a text, and the text with each marker written as `<why>`. */
export function unmark(s: string): { text: string; whys: string[] } {
  const whys: string[] = [];
  const text = s.replace(/\uE000([^\uE001]*)\uE001/g, (_, why: string) => {
    whys.push(why);
    return `<${why}>`;
  });
  return { text, whys };
}

/** Is this value known through and through (no Unknown, no marked text)? */
export const isKnown = (v: unknown): boolean => !(v instanceof Unknown) && !(typeof v === 'string' && hasMark(v));

/** The first Unknown among `vs`, or one made from a marked string. */
export function firstUnknown(vs: unknown[]): Unknown | undefined {
  for (const v of vs) {
    if (v instanceof Unknown) return v;
    if (typeof v === 'string' && hasMark(v)) return new Unknown(unmark(v).whys[0] ?? 'unknown');
  }
  return undefined;
}

/** Go's template truth (text/template isTrue): false, 0, nil, and empty strings, lists and maps are false. */
export function truth(v: unknown): boolean | Unknown {
  if (v instanceof Unknown) return v;
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

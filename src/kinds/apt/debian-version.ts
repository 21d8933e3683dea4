/**
 * Debian version comparison exactly as dpkg does it (dpkg lib/dpkg/version.c, `dpkg_version_compare` and
 * `verrevcmp`; Debian Policy 5.6.12). A version is `[epoch:]upstream[-revision]`: the epoch is the number before the
 * first `:`, the revision what follows the last `-`. Epochs compare as numbers, then upstream and revision with
 * verrevcmp: alternating runs of non-digits (compared character by character, with `~` before everything, even
 * the end of the string, and letters before other characters) and digits (compared as numbers).
 */
export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(v: string): DebianVersion {
  const s = v.trim();
  const colon = s.indexOf(':');
  const epoch = colon >= 0 ? Number.parseInt(s.slice(0, colon), 10) : 0;
  const rest = colon >= 0 ? s.slice(colon + 1) : s;
  const dash = rest.lastIndexOf('-');
  return {
    epoch: Number.isFinite(epoch) ? epoch : 0,
    upstream: dash >= 0 ? rest.slice(0, dash) : rest,
    revision: dash >= 0 ? rest.slice(dash + 1) : '',
  };
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** dpkg's order(): `~` sorts first, then the end of a part (and digits), then letters, then everything else. */
function order(c: number | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1; // '~'
  return c + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(i < a.length ? a.charCodeAt(i) : undefined);
      const bc = order(j < b.length ? b.charCodeAt(j) : undefined);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (i < a.length && isDigit(a.charCodeAt(i)) && j < b.length && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive, as `a` sorts before, equal to or after `b`. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  const u = verrevcmp(x.upstream, y.upstream);
  if (u !== 0) return u;
  return verrevcmp(x.revision, y.revision);
}

export type RelationOp = '<<' | '<=' | '=' | '>=' | '>>';

/** Does `version` satisfy `op ref`? Legacy `<` and `>` mean `<=` and `>=` (Debian Policy 7.1). */
export function satisfiesVersion(version: string, op: RelationOp | '<' | '>', ref: string): boolean {
  const c = compareDebianVersions(version, ref);
  switch (op) {
    case '<<':
      return c < 0;
    case '<=':
    case '<':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
    case '>':
      return c >= 0;
    case '>>':
      return c > 0;
  }
}

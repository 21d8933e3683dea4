/** One challenge from a WWW-Authenticate header (RFC 9110 §11.6.1). */
export interface Challenge {
  scheme: string; // lower-case: "bearer", "basic"
  params: Record<string, string>;
}

/**
 * Parses WWW-Authenticate with quoted strings respected. A naive split on "," breaks the registry's own
 * challenges: `scope="repository:a:pull,push"` (distribution docs/spec/auth/token.md) has a comma inside quotes.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = () => {
    while (i < s.length && /[\s,]/.test(s[i] as string)) i++;
  };
  const token = () => {
    const start = i;
    while (i < s.length && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipWs();
    const scheme = token();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      while (i < s.length && /\s/.test(s[i] as string)) i++;
      const save = i;
      const name = token();
      while (i < s.length && /\s/.test(s[i] as string)) i++;
      if (!name || s[i] !== '=') {
        i = save; // the next scheme starts here
        break;
      }
      i++;
      while (i < s.length && /\s/.test(s[i] as string)) i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      challenge.params[name.toLowerCase()] = value;
      while (i < s.length && /\s/.test(s[i] as string)) i++;
      if (s[i] === ',') i++;
    }
  }
  return out;
}

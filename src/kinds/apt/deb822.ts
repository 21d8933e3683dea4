/**
 * deb822 control data (Debian Policy 5.1; Packages indexes, Release files, dpkg status): stanzas separated by blank
 * lines, `Field: value` lines, continuation lines starting with a space or tab. Field names are case-insensitive;
 * stanzas keep them as written and `field()` looks them up case-insensitively.
 */
export type Stanza = Map<string, string>;

export function parseDeb822(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Stanza | undefined;
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') {
      if (current && current.size > 0) stanzas.push(current);
      current = undefined;
      last = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && current && last !== undefined) {
      current.set(last, `${current.get(last) ?? ''}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a field line: skipped like apt does with garbage
    current ??= new Map();
    last = line.slice(0, colon).toLowerCase();
    current.set(last, line.slice(colon + 1).trim());
  }
  if (current && current.size > 0) stanzas.push(current);
  return stanzas;
}

/** A field's value (names are stored lower-case). */
export function field(s: Stanza, name: string): string | undefined {
  return s.get(name.toLowerCase());
}

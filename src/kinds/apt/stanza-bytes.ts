import { type Stanza, parseDeb822 } from './deb822.js';

/**
 * deb822 stanzas (Debian Policy 5.1) read as bytes, as an index streams out of its decoder: cut at blank lines
 * without decoding the text, looked at by a few fields without parsing the rest, and parsed into values that are
 * strings of their own. A value sliced out of a longer string keeps that whole string alive in V8 (a sliced string
 * holds its parent): a package kept from a 50 MB index kept the decoded chunks it came from, 3.5 KB per package
 * of Debian main where its fields hold under 1 KB.
 */

const NL = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;
const HASH = 0x23;

/** A line of only spaces and tabs (and a CR before its LF): the end of a stanza, as `\r?\n(?:[ \t]*\r?\n)+` cuts. */
function isBlank(buf: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = buf[k];
    if (c === SPACE || c === TAB || (c === CR && k === to - 1)) continue;
    return false;
  }
  return true;
}

/** Without the line end it finishes with (`\n` or `\r\n`). */
function withoutLineEnd(buf: Buffer): Buffer {
  let end = buf.length;
  if (end > 0 && buf[end - 1] === NL) end--;
  if (end > 0 && buf[end - 1] === CR) end--;
  return buf.subarray(0, end);
}

/** Whether the bytes hold anything but whitespace. */
function hasContent(buf: Buffer): boolean {
  for (const c of buf) if (c !== SPACE && c !== TAB && c !== NL && c !== CR) return true;
  return false;
}

/**
 * The stanzas of deb822 text arriving in chunks, cut at blank lines. Each is a view of the bytes it came in, or a
 * copy when it spans chunks (valid until the next one is asked for: copy, or decode, what you keep), without the
 * line end before its blank line. Memory: one chunk and the stanza it ends in; only a stanza that spans chunks is
 * copied, never a whole chunk, so a decoder's output is garbage at the rate it arrives and no faster. `tooLong()`
 * when a stanza runs past `maxStanza` bytes (a bomb without blank lines would otherwise be one stanza).
 */
export async function* stanzaBuffers(chunks: AsyncIterable<Buffer>, maxStanza: number, tooLong: () => Error): AsyncGenerator<Buffer> {
  const bounded = (b: Buffer) => {
    if (b.length > maxStanza) throw tooLong();
    return b;
  };
  // The unfinished stanza from the chunks before, and where its unfinished line starts.
  let rest: Buffer = Buffer.alloc(0);
  let lineAt = 0;
  for await (const chunk of chunks) {
    let from = 0;
    if (rest.length > 0) {
      // The carried stanza ends at the first blank line, the first of which began in `rest`.
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        rest = bounded(Buffer.concat([rest, chunk]));
        continue;
      }
      const spanning = Buffer.concat([rest.subarray(lineAt), chunk.subarray(0, nl)]);
      if (isBlank(spanning, 0, spanning.length)) {
        if (lineAt > 0) yield bounded(withoutLineEnd(rest.subarray(0, lineAt)));
        from = nl + 1;
      } else {
        let line = nl + 1;
        let end = -1;
        for (;;) {
          const next = chunk.indexOf(NL, line);
          if (next < 0) break;
          if (isBlank(chunk, line, next)) {
            end = line;
            from = next + 1;
            break;
          }
          line = next + 1;
        }
        if (end < 0) {
          lineAt = rest.length + line;
          rest = bounded(Buffer.concat([rest, chunk]));
          continue;
        }
        yield bounded(withoutLineEnd(Buffer.concat([rest, chunk.subarray(0, end)])));
      }
    }
    // Whole stanzas within the chunk: views of it.
    let start = from;
    let line = from;
    for (;;) {
      const nl = chunk.indexOf(NL, line);
      if (nl < 0) break;
      if (isBlank(chunk, line, nl)) {
        if (line > start) yield bounded(withoutLineEnd(chunk.subarray(start, line)));
        start = nl + 1;
      }
      line = nl + 1;
    }
    rest = bounded(chunk.subarray(start));
    lineAt = line - start;
  }
  if (hasContent(rest)) yield withoutLineEnd(rest);
}

/** The identity of a stanza, as packageFromStanza reads it (no Architecture: `all`). */
export interface StanzaIdentity {
  name: string;
  version: string;
  architecture: string;
}

const IDENTITY = ['package', 'version', 'architecture'] as const;

/** Package, Version and Architecture, read without parsing the rest; undefined without Package or Version. */
export function stanzaIdentity(buf: Buffer): StanzaIdentity | undefined {
  const s = stanzaFields(buf, IDENTITY);
  const name = s.get('package');
  const version = s.get('version');
  if (!name || !version) return undefined;
  return { name, version, architecture: s.get('architecture') ?? 'all' };
}

/**
 * The first stanza of `buf` as parseDeb822 reads it, each value a string of its own (parsed as text, which V8 does
 * faster than byte by byte, then each value copied out of the stanza's text).
 */
export function ownStanza(buf: Buffer): Stanza | undefined {
  const [stanza] = parseDeb822(buf.toString('utf8'));
  if (stanza) for (const [k, v] of stanza) stanza.set(k, own(v));
  return stanza;
}

/**
 * A copy of `s` that keeps nothing else alive. V8 copies a slice shorter than 13 characters; a longer one would
 * hold its parent, so it is taken from a fresh flat string (the concatenation, flattened by slice) instead.
 */
function own(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * Just the fields `only` names (lower-case) of the first stanza of `buf`, as parseDeb822 reads them (field names
 * without regard to case, the last of a repeated field wins, continuation lines joined with `\n`, `#` lines and
 * lines without a field name skipped, a blank line ending the stanza), decoded from their own bytes: the other
 * lines cost a look at their first bytes.
 */
export function stanzaFields(buf: Buffer, only: readonly string[]): Stanza {
  const stanza: Stanza = new Map();
  const wanted = namesOf(only);
  let last: string | undefined;
  for (let at = 0; at < buf.length;) {
    let nl = buf.indexOf(NL, at);
    if (nl < 0) nl = buf.length;
    const end = nl > at && buf[nl - 1] === CR ? nl - 1 : nl;
    const from = at;
    at = nl + 1;
    const first = buf[from];
    if (first === undefined || end === from || first === SPACE || first === TAB || first >= 0x80) {
      // A blank line ends the stanza; a continuation line adds to the field before it.
      const text = buf.toString('utf8', from, end);
      if (text.trim() === '') {
        if (stanza.size > 0) break;
        last = undefined;
        continue;
      }
      if (first === SPACE || first === TAB) {
        if (last !== undefined && stanza.has(last)) stanza.set(last, `${stanza.get(last) ?? ''}\n${text.slice(1)}`);
        continue;
      }
    }
    if (first === HASH) continue;
    const colon = buf.indexOf(COLON, from);
    if (colon <= from || colon >= end) continue; // not a field line: skipped like apt does with garbage
    const k = wanted.findIndex((w) => sameName(buf, from, colon, w));
    const name = k < 0 ? undefined : only[k];
    last = name;
    if (name !== undefined) stanza.set(name, value(buf, colon + 1, end));
  }
  return stanza;
}

const names = new WeakMap<readonly string[], Buffer[]>();
function namesOf(only: readonly string[]): Buffer[] {
  let b = names.get(only);
  if (!b) names.set(only, (b = only.map((n) => Buffer.from(n, 'latin1'))));
  return b;
}

/** Whether `buf[from, to)` is the lower-case name `want`, compared without regard to ASCII case. */
function sameName(buf: Buffer, from: number, to: number, want: Buffer): boolean {
  if (to - from !== want.length) return false;
  for (let k = 0; k < want.length; k++) {
    const c = buf[from + k] as number;
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== want[k]) return false;
  }
  return true;
}

/** A field's value, trimmed as String.prototype.trim trims, decoded from its bytes (a string of its own). */
function value(buf: Buffer, from: number, to: number): string {
  const ws = (c: number | undefined) => c === SPACE || (c !== undefined && c >= TAB && c <= CR);
  while (from < to && ws(buf[from])) from++;
  while (to > from && ws(buf[to - 1])) to--;
  // Beyond ASCII whitespace (a no-break space, …), trim() has the last word, as it has in parseDeb822.
  return buf.toString('utf8', from, to).trim();
}

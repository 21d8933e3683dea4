import { FerryError } from '../core/errors.js';

/**
 * Text read from a bundle (names, titles, versions, annotations) is untrusted: rendered raw to a terminal it can
 * carry ANSI escape sequences (ECMA-48: ESC, CSI), and written raw into a README, an apt Release or a SHA256SUMS line
 * a newline starts a new line of the attacker's choosing. C0/C1 controls and DEL (Unicode category Cc) and the bidi
 * overrides (Bidi_Control, which reorder what a reader sees, CVE-2021-42574) are never legitimate in these values.
 */
const UNSAFE_CHAR = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;
const UNSAFE_CHARS = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/gu;

/** Why this text must not be rendered as is, or undefined when it is plain (no control or bidi characters). */
export function controlProblem(text: string): string | undefined {
  const m = UNSAFE_CHAR.exec(text);
  if (!m) return undefined;
  return `contains the control character ${codePoint(m[0])}`;
}

export const isPlainText = (text: string): boolean => !UNSAFE_CHAR.test(text);

/**
 * The text with every control and bidi character written as a visible escape (`\n`, `\x1b`, `\u202e`) and
 * backslashes doubled, so the result is one line that shows exactly what was there. For error messages and
 * terminal output; files the nodes read refuse such text instead (see the gate).
 */
export function escapeText(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/\\/g, '\\\\').replace(UNSAFE_CHARS, escapeChar);
}

function escapeChar(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const n = c.codePointAt(0) as number;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/**
 * Multi-line text (a rendered result, an error message) made safe for a terminal: line breaks are kept, every other
 * control or bidi character is shown as an escape, so no byte of a bundle can move the cursor, recolour or retitle it.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_CHARS, (c) => (c === '\n' ? c : escapeChar(c)));
}

/** `"value"` escaped for a one-line message naming an offending value. */
export const quoteUntrusted = (text: string): string => `"${escapeText(text)}"`;

/** Refuses text bound for a line-oriented file (README, Release, SHA256SUMS) when it could break the line. */
export function oneLine(text: string, what: string): string {
  const why = controlProblem(text);
  if (why)
    throw new FerryError('UNSAFE_VALUE', `${what} ${quoteUntrusted(text)} ${why}: refused, nothing was written with it`, {
      what,
      value: escapeText(text),
    });
  return text;
}

function codePoint(c: string): string {
  return `U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The lexical layer of Go's text/template, the language of Helm's templates (pkg.go.dev/text/template): text, and
 * actions between `{{` and `}}`, where `{{- ` and ` -}}` trim the whitespace beside them and `{{/* … *\/}}` is a
 * comment. An action becomes a list of tokens; the parser (template-parse.ts) gives them structure.
 */

export type Token =
  | { t: 'field'; path: string[]; spaced: boolean } // `.`, `.Values.image.tag`, or a chain after `)` / `$x`
  | { t: 'var'; name: string; spaced: boolean } // `$`, `$x`
  | { t: 'str'; v: string; spaced: boolean }
  | { t: 'num'; v: number; spaced: boolean }
  | { t: 'ident'; v: string; spaced: boolean } // a function name or keyword; true/false/nil too
  | { t: 'punct'; v: '(' | ')' | '|' | ':=' | '=' | ','; spaced: boolean };

export type Piece = { t: 'text'; s: string } | { t: 'action'; tokens: Token[]; at: number };

/** Thrown for a template ferry cannot read (Helm would refuse it too, or it uses syntax ferry does not know). */
export class TemplateSyntaxError extends Error {}

const SPACE = /[ \t\r\n]/;

/** Text and actions of one template, trim markers applied. */
export function lexTemplate(src: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) out.push({ t: 'text', s: text });
      break;
    }
    let j = open + 2;
    if (src[j] === '-' && SPACE.test(src[j + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 2;
    }
    if (text) out.push({ t: 'text', s: text });
    while (SPACE.test(src[j] ?? '')) j++;
    if (src.startsWith('/*', j)) {
      const close = src.indexOf('*/', j + 2);
      if (close < 0) throw new TemplateSyntaxError('unclosed comment');
      const end = closeAction(src, close + 2);
      trimNext = end.trim;
      i = end.next;
      continue;
    }
    const { tokens, next, trim } = lexAction(src, j);
    out.push({ t: 'action', tokens, at: open });
    trimNext = trim;
    i = next;
  }
  return out;
}

function closeAction(src: string, j: number): { next: number; trim: boolean } {
  let k = j;
  while (SPACE.test(src[k] ?? '')) k++;
  if (src.startsWith('-}}', k) && k > j) return { next: k + 3, trim: true };
  if (src.startsWith('}}', k)) return { next: k + 2, trim: false };
  throw new TemplateSyntaxError(`unclosed action at offset ${j}`);
}

const IDENT = /[A-Za-z0-9_]/;

function lexAction(src: string, start: number): { tokens: Token[]; next: number; trim: boolean } {
  const tokens: Token[] = [];
  let j = start;
  let spaced = true;
  for (;;) {
    if (j >= src.length) throw new TemplateSyntaxError(`unclosed action at offset ${start}`);
    const c = src[j] as string;
    if (SPACE.test(c)) {
      const k = j;
      while (SPACE.test(src[j] ?? '')) j++;
      if (src.startsWith('-}}', j)) return { tokens, next: j + 3, trim: true };
      spaced = j > k;
      continue;
    }
    if (src.startsWith('}}', j)) return { tokens, next: j + 2, trim: false };
    if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(src.slice(j, j + 65536));
      if (!m) throw new TemplateSyntaxError(`unterminated string at offset ${j}`);
      tokens.push({ t: 'str', v: unquote(m[0]), spaced });
      j += m[0].length;
    } else if (c === '`') {
      const close = src.indexOf('`', j + 1);
      if (close < 0) throw new TemplateSyntaxError(`unterminated raw string at offset ${j}`);
      tokens.push({ t: 'str', v: src.slice(j + 1, close), spaced });
      j = close + 1;
    } else if (c === "'") {
      const m = /^'(?:[^'\\]|\\.)+'/.exec(src.slice(j, j + 16));
      if (!m) throw new TemplateSyntaxError(`bad character constant at offset ${j}`);
      tokens.push({ t: 'num', v: unquote(`"${m[0].slice(1, -1)}"`).codePointAt(0) ?? 0, spaced });
      j += m[0].length;
    } else if (c === '.' || c === '$') {
      let k = j + 1;
      while (IDENT.test(src[k] ?? '') || (src[k] === '.' && IDENT.test(src[k + 1] ?? ''))) k++;
      const word = src.slice(j, k);
      if (c === '$') {
        const dot = word.indexOf('.');
        tokens.push({ t: 'var', name: dot < 0 ? word : word.slice(0, dot), spaced });
        if (dot >= 0) tokens.push({ t: 'field', path: word.slice(dot + 1).split('.'), spaced: false });
      } else tokens.push({ t: 'field', path: word === '.' ? [] : word.slice(1).split('.'), spaced });
      j = k;
    } else if (/[0-9]/.test(c) || (/[+-]/.test(c) && /[0-9.]/.test(src[j + 1] ?? ''))) {
      const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(j, j + 64));
      if (!m || !m[0]) throw new TemplateSyntaxError(`bad number at offset ${j}`);
      tokens.push({ t: 'num', v: Number(m[0].replace(/_/g, '')), spaced });
      j += m[0].length;
    } else if (IDENT.test(c)) {
      let k = j;
      while (IDENT.test(src[k] ?? '')) k++;
      tokens.push({ t: 'ident', v: src.slice(j, k), spaced });
      j = k;
    } else if (src.startsWith(':=', j)) {
      tokens.push({ t: 'punct', v: ':=', spaced });
      j += 2;
    } else if ('()|=,'.includes(c)) {
      tokens.push({ t: 'punct', v: c as '(' | ')' | '|' | '=' | ',', spaced });
      j += 1;
    } else throw new TemplateSyntaxError(`unexpected ${JSON.stringify(c)} at offset ${j}`);
    spaced = false;
  }
}

/** A Go interpreted string literal; its escapes are JSON's plus a few (`\a`, `\v`, `\x41`, `\'`). */
function unquote(lit: string): string {
  const body = lit
    .slice(1, -1)
    .replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => `\\u00${h}`)
    .replace(/\\U([0-9a-fA-F]{8})/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/\\([av'])/g, (_, e: string) => (e === 'a' ? '\\u0007' : e === 'v' ? '\\u000b' : "'"));
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return lit.slice(1, -1);
  }
}

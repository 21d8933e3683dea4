import { type Piece, type Token, TemplateSyntaxError, lexTemplate } from './template-lex.js';

/** An operand of a command (text/template's parse.Node kinds, reduced to what evaluation needs). */
export type Arg =
  | { t: 'field'; path: string[] } // relative to dot: `.Values.image`
  | { t: 'var'; name: string; path: string[] } // `$`, `$x.a`
  | { t: 'lit'; v: unknown } // string, number, true/false/nil
  | { t: 'fn'; name: string }
  | { t: 'pipe'; pipe: Pipe; path: string[] }; // `(…)` and `(…).a.b`

export type Cmd = Arg[];

export interface Pipe {
  /** `$x :=` / `$i, $v :=` declares; with `assign`, `$x =` sets an existing variable. */
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
}

export type Node =
  | { t: 'text'; s: string }
  | { t: 'out'; pipe: Pipe }
  | { t: 'if' | 'with' | 'range'; pipe: Pipe; then: Node[]; else: Node[] }
  | { t: 'call'; name: string; pipe: Pipe | undefined } // {{template "x" .}}, and a block's use
  | { t: 'break' }
  | { t: 'continue' };

export interface ParsedTemplate {
  body: Node[];
  /** `define`d and `block` templates, by name. */
  defines: Map<string, Node[]>;
}

/** Parses one template file (text/template's grammar); throws TemplateSyntaxError. */
export function parseTemplate(src: string): ParsedTemplate {
  const pieces = lexTemplate(src);
  const defines = new Map<string, Node[]>();
  let i = 0;

  /** Nodes up to an `end` or `else` (returned as the stopper) or the end of the file (only at top level). */
  const list = (top: boolean): { nodes: Node[]; stop: Token[] | undefined } => {
    const nodes: Node[] = [];
    while (i < pieces.length) {
      const p = pieces[i++] as Piece;
      if (p.t === 'text') {
        nodes.push({ t: 'text', s: p.s });
        continue;
      }
      const [head, ...rest] = p.tokens;
      const kw = head?.t === 'ident' ? head.v : '';
      if (kw === 'end' || kw === 'else') {
        if (top) throw new TemplateSyntaxError(`unexpected {{${kw}}}`);
        return { nodes, stop: p.tokens };
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') nodes.push(control(kw, rest));
      else if (kw === 'define' || kw === 'block') {
        const name = rest[0]?.t === 'str' ? rest[0].v : undefined;
        if (name === undefined) throw new TemplateSyntaxError(`${kw} needs a name`);
        const inner = list(false);
        if (inner.stop?.[0]?.t !== 'ident' || inner.stop[0].v !== 'end') throw new TemplateSyntaxError(`${kw} "${name}" has no end`);
        defines.set(name, inner.nodes);
        if (kw === 'block') nodes.push({ t: 'call', name, pipe: rest.length > 1 ? pipeline(rest.slice(1)) : undefined });
      } else if (kw === 'template') {
        const name = rest[0]?.t === 'str' ? rest[0].v : undefined;
        if (name === undefined) throw new TemplateSyntaxError('template needs a name');
        nodes.push({ t: 'call', name, pipe: rest.length > 1 ? pipeline(rest.slice(1)) : undefined });
      } else if (kw === 'break' || kw === 'continue') nodes.push({ t: kw });
      else nodes.push({ t: 'out', pipe: pipeline(p.tokens) });
    }
    if (!top) throw new TemplateSyntaxError('missing {{end}}');
    return { nodes, stop: undefined };
  };

  const control = (kw: 'if' | 'with' | 'range', tokens: Token[]): Node => {
    const pipe = pipeline(tokens);
    const body = list(false);
    let otherwise: Node[] = [];
    const stop = body.stop ?? [];
    if (stop[0]?.t === 'ident' && stop[0].v === 'else') {
      const next = stop[1];
      // `{{else if …}}` / `{{else with …}}`: a nested control that shares this one's `end`.
      if (next?.t === 'ident' && (next.v === 'if' || next.v === 'with')) otherwise = [control(next.v, stop.slice(2))];
      else {
        const tail = list(false);
        if (tail.stop?.[0]?.t !== 'ident' || tail.stop[0].v !== 'end') throw new TemplateSyntaxError(`${kw} … else has no end`);
        otherwise = tail.nodes;
      }
    }
    return { t: kw, pipe, then: body.nodes, else: otherwise };
  };

  const body = list(true).nodes;
  return { body, defines };
}

/** A pipeline: an optional declaration, then commands joined by `|`. */
function pipeline(tokens: Token[]): Pipe {
  let decl: string[] = [];
  let assign = false;
  const eq = tokens.findIndex((t) => t.t === 'punct' && (t.v === ':=' || t.v === '='));
  const before = eq > 0 ? tokens.slice(0, eq) : [];
  if (eq > 0 && before.every((t) => t.t === 'var' || (t.t === 'punct' && t.v === ','))) {
    decl = before.flatMap((t) => (t.t === 'var' ? [t.name] : []));
    assign = (tokens[eq] as { v: string }).v === '=';
    tokens = tokens.slice(eq + 1);
  }
  const state = { tokens, i: 0 };
  const cmds = commands(state);
  if (state.i < tokens.length) throw new TemplateSyntaxError('unexpected ) in pipeline');
  return { decl, assign, cmds };
}

function commands(s: { tokens: Token[]; i: number }): Cmd[] {
  const cmds: Cmd[] = [];
  let cmd: Cmd = [];
  while (s.i < s.tokens.length) {
    const tok = s.tokens[s.i] as Token;
    if (tok.t === 'punct' && tok.v === ')') break;
    s.i++;
    if (tok.t === 'punct' && tok.v === '|') {
      cmds.push(cmd);
      cmd = [];
      continue;
    }
    let arg: Arg;
    if (tok.t === 'punct' && tok.v === '(') {
      const inner = commands(s);
      const close = s.tokens[s.i++];
      if (close?.t !== 'punct' || close.v !== ')') throw new TemplateSyntaxError('unclosed (');
      arg = { t: 'pipe', pipe: { decl: [], assign: false, cmds: inner }, path: chain(s) };
    } else if (tok.t === 'field') arg = { t: 'field', path: tok.path };
    else if (tok.t === 'var') arg = { t: 'var', name: tok.name, path: chain(s) };
    else if (tok.t === 'str' || tok.t === 'num') arg = { t: 'lit', v: tok.v };
    else if (tok.t === 'ident')
      arg =
        tok.v === 'true'
          ? { t: 'lit', v: true }
          : tok.v === 'false'
            ? { t: 'lit', v: false }
            : tok.v === 'nil'
              ? { t: 'lit', v: null }
              : { t: 'fn', name: tok.v };
    else throw new TemplateSyntaxError(`unexpected ${tok.v}`);
    cmd.push(arg);
  }
  cmds.push(cmd);
  if (cmds.some((c) => c.length === 0)) throw new TemplateSyntaxError('empty command in pipeline');
  return cmds;
}

/** A field chain written right after `)` or a variable: `(index . 0).name`, `$x.a.b`. */
function chain(s: { tokens: Token[]; i: number }): string[] {
  const next = s.tokens[s.i];
  if (next?.t === 'field' && !next.spaced && next.path.length > 0) {
    s.i++;
    return next.path;
  }
  return [];
}

import type { Arg, Cmd, Node, Pipe } from './template-parse.js';
import { Unknown, firstUnknown, markOf, truth } from './unknown.js';
import { FUNCS, toText } from './template-funcs.js';

/**
 * A partial evaluator of Go templates, as Helm runs them: what is known (values, the chart's metadata, the release)
 * is computed; what is not (Unknown) makes a condition take both branches and text carry a marker. Bounded: a
 * chart's templates get a fixed number of steps, so a hostile chart cannot make discovery run forever.
 */
export interface Evaluation {
  /** Named templates (`define`), the chart's and its subcharts', as Helm shares them. */
  defines: Map<string, Node[]>;
  /** Parses a `tpl` string (cached by the caller). */
  parse(text: string): Node[];
  /** Called with each values path read: `image.repository`. */
  read(path: string): void;
  /** Where each values object sits (`sidecar.image`), so reads through variables and `with` are traced. */
  paths: WeakMap<object, string>;
  steps: { left: number };
}

export class BudgetExceeded extends Error {}

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>[];
}

type Signal = 'break' | 'continue' | undefined;

const MAX_DEPTH = 48;
const MAX_RANGE = 2000;

export class Evaluator {
  private depth = 0;
  constructor(private readonly ev: Evaluation) {}

  /** Executes `nodes` with `dot` (and `$`) as data; the text they write. */
  run(nodes: Node[], dot: unknown): string {
    const out: string[] = [];
    this.exec(nodes, { dot, vars: [new Map([['$', dot]])] }, out);
    return out.join('');
  }

  private tick(): void {
    if (--this.ev.steps.left < 0) throw new BudgetExceeded('the templates take too many steps to read');
  }

  private exec(nodes: Node[], scope: Scope, out: string[]): Signal {
    for (const n of nodes) {
      this.tick();
      if (n.t === 'text') out.push(n.s);
      else if (n.t === 'out') {
        const v = this.pipe(n.pipe, scope);
        if (n.pipe.decl.length === 0) out.push(toText(v));
      } else if (n.t === 'if' || n.t === 'with') {
        const inner: Scope = { dot: scope.dot, vars: [...scope.vars, new Map()] };
        const v = this.pipe(n.pipe, inner);
        const t = truth(v);
        const thenScope = n.t === 'with' ? { dot: v, vars: inner.vars } : inner;
        if (t === true) {
          const s = this.exec(n.then, thenScope, out);
          if (s) return s;
        } else if (t === false) {
          const s = this.exec(n.else, inner, out);
          if (s) return s;
        } else this.both(n, thenScope, inner, t, out);
      } else if (n.t === 'range') {
        const s = this.range(n, scope, out);
        if (s) return s;
      } else if (n.t === 'call') {
        const dot = n.pipe ? this.pipe(n.pipe, scope) : undefined;
        out.push(this.include(n.name, dot));
      } else return n.t;
    }
    return undefined;
  }

  /**
   * A condition that is not known: both branches run. Inline (no newline in either) the result is a marker; a
   * branch of whole lines keeps its lines, so the objects either branch would write are both seen.
   */
  private both(n: { then: Node[]; else: Node[] }, thenScope: Scope, elseScope: Scope, why: Unknown, out: string[]): void {
    const a: string[] = [];
    const b: string[] = [];
    this.exec(n.then, thenScope, a);
    this.exec(n.else, elseScope, b);
    const [ta, tb] = [a.join(''), b.join('')];
    if (!ta.includes('\n') && !tb.includes('\n')) out.push(ta === tb ? ta : markOf(why));
    else out.push(ta, '\n', tb);
  }

  private range(n: { pipe: Pipe; then: Node[]; else: Node[] }, scope: Scope, out: string[]): Signal {
    const frame = new Map<string, unknown>();
    const inner: Scope = { dot: scope.dot, vars: [...scope.vars, frame] };
    const over = this.pipe({ ...n.pipe, decl: [] }, inner);
    const [kVar, vVar] = n.pipe.decl.length === 2 ? n.pipe.decl : [undefined, n.pipe.decl[0]];
    const items: [unknown, unknown][] =
      over instanceof Unknown
        ? [[over, over]]
        : Array.isArray(over)
          ? over.map((v, i) => [i, v])
          : typeof over === 'number'
            ? Array.from({ length: Math.min(over, MAX_RANGE) }, (_, i) => [i, i])
            : over && typeof over === 'object'
              ? Object.keys(over)
                  .sort()
                  .map((k) => [k, this.child(over, k)])
              : [];
    if (items.length === 0) return this.exec(n.else, inner, out);
    for (const [k, v] of items.slice(0, MAX_RANGE)) {
      if (kVar) frame.set(kVar, k);
      if (vVar) frame.set(vVar, v);
      const s = this.exec(n.then, { dot: v, vars: inner.vars }, out);
      if (s === 'break') break;
    }
    if (over instanceof Unknown) this.exec(n.else, inner, out);
    return undefined;
  }

  /** `include` / `template`: a named template run with `dot`, into text. */
  include(name: unknown, dot: unknown): string {
    if (typeof name !== 'string') return markOf(firstUnknown([name]) ?? new Unknown('a template name'));
    const body = this.ev.defines.get(name);
    if (!body || this.depth >= MAX_DEPTH) return markOf(new Unknown(`template ${name}`));
    this.depth++;
    try {
      return this.run(body, dot);
    } finally {
      this.depth--;
    }
  }

  /** `tpl`: a string of template text run with `dot`. */
  tpl(text: unknown, dot: unknown): unknown {
    if (typeof text !== 'string' || firstUnknown([text])) return firstUnknown([text]) ?? '';
    if (!text.includes('{{')) return text;
    if (this.depth >= MAX_DEPTH) return new Unknown('tpl');
    this.depth++;
    try {
      return this.run(this.ev.parse(text), dot);
    } catch (err) {
      if (err instanceof BudgetExceeded) throw err;
      return new Unknown('tpl');
    } finally {
      this.depth--;
    }
  }

  pipe(p: Pipe, scope: Scope): unknown {
    let v: unknown;
    p.cmds.forEach((cmd, i) => {
      v = this.cmd(cmd, scope, i === 0 ? [] : [v]);
    });
    if (p.decl.length === 1) {
      const name = p.decl[0] as string;
      const frame = p.assign ? ([...scope.vars].reverse().find((f) => f.has(name)) ?? scope.vars.at(-1)) : scope.vars.at(-1);
      frame?.set(name, v);
    }
    return v;
  }

  private cmd(cmd: Cmd, scope: Scope, piped: unknown[]): unknown {
    this.tick();
    const [head, ...rest] = cmd as [Arg, ...Arg[]];
    if (head.t !== 'fn') {
      // A method call on a value (`.Capabilities.APIVersions.Has "x"`, `.Files.Get "f"`) is not evaluated.
      if (rest.length > 0 || piped.length > 0) return new Unknown('a method call');
      return this.arg(head, scope);
    }
    const name = head.name;
    const lazy = rest.map((a) => () => this.arg(a, scope));
    const pipedThunks = piped.map((v) => () => v);
    if (name === 'and' || name === 'or') return this.logic(name, [...lazy, ...pipedThunks]);
    const args = [...lazy, ...pipedThunks].map((f) => f());
    switch (name) {
      case 'include':
        return this.include(args[0], args[1]);
      case 'tpl':
        return this.tpl(args[0], args[1]);
      case 'index':
      case 'get':
        return this.index(args[0], args.slice(1));
      case 'dig': {
        const base = args[args.length - 1];
        const keys = args.slice(0, -2);
        const found = this.index(base, keys);
        return found === undefined || found === null ? args[args.length - 2] : found;
      }
      case 'fail':
        return new Unknown('a fail');
    }
    const fn = FUNCS[name];
    if (!fn) return new Unknown(`function ${name}`);
    return fn(args);
  }

  /** `and` and `or` stop at the first argument that decides, as Go 1.18 does; an Unknown before it decides nothing. */
  private logic(name: 'and' | 'or', thunks: (() => unknown)[]): unknown {
    let last: unknown;
    let unknown: Unknown | undefined;
    for (const f of thunks) {
      last = f();
      const t = truth(last);
      if (t instanceof Unknown) unknown ??= t;
      else if (t === (name === 'or')) return unknown ?? last;
    }
    return unknown ?? last;
  }

  private index(base: unknown, keys: unknown[]): unknown {
    let cur = base;
    for (const k of keys) {
      if (cur instanceof Unknown) return cur;
      if (k instanceof Unknown) return k;
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = this.child(cur, String(k));
    }
    return cur;
  }

  private arg(a: Arg, scope: Scope): unknown {
    switch (a.t) {
      case 'lit':
        return a.v;
      case 'field':
        return this.walk(scope.dot, a.path);
      case 'var': {
        const frame = [...scope.vars].reverse().find((f) => f.has(a.name));
        return this.walk(frame ? frame.get(a.name) : new Unknown(`variable ${a.name}`), a.path);
      }
      case 'pipe':
        return this.walk(this.pipe(a.pipe, scope), a.path);
      case 'fn': {
        const fn = FUNCS[a.name];
        return fn ? fn([]) : new Unknown(`function ${a.name}`);
      }
    }
  }

  private walk(base: unknown, path: string[]): unknown {
    let cur = base;
    for (const k of path) {
      if (cur instanceof Unknown) return cur;
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
      cur = this.child(cur, k);
    }
    return cur;
  }

  /** A map's entry, noting the read when the map is (part of) the chart's values. */
  private child(map: object, key: string): unknown {
    const v = (map as Record<string, unknown>)[key];
    const at = this.ev.paths.get(map);
    if (at !== undefined) {
      const path = at ? `${at}.${key}` : key;
      this.ev.read(path);
      if (v !== null && typeof v === 'object' && !this.ev.paths.has(v)) this.ev.paths.set(v, path);
    }
    return v;
  }
}

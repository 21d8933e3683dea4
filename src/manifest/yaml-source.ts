import { type Document, LineCounter, isMap, isScalar, parseDocument } from 'yaml';

export type KeyPath = (string | number)[];

/** One validation problem, located by its key path in the document. */
export interface Problem {
  path: KeyPath;
  message: string;
  /** Point at the key itself (an unknown key) rather than at its value. */
  atKey?: boolean;
}

/**
 * A parsed YAML file that can say where a key path sits, so every message reads `file:line:col: path: what`.
 * Positions come from the nodes' source ranges and the yaml package's LineCounter (1-based line and column).
 */
export class YamlSource {
  readonly doc: Document;
  private readonly lines = new LineCounter();

  constructor(
    text: string,
    readonly file: string,
  ) {
    // uniqueKeys: a repeated key is a syntax error rather than a silent last-one-wins.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /** YAML syntax errors as located message lines (empty when the text parsed). */
  syntaxErrors(): string[] {
    return this.doc.errors.map((e) => `${this.at(e.pos[0])}: YAML syntax: ${e.message.split('\n')[0]}`);
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /** `file:line:col: key.path: message`; a key that is missing is reported at the nearest node that exists. */
  format(p: Problem): string {
    const key = p.path.length > 0 ? p.path.join('.') : '(document)';
    return `${this.at(this.offsetOf(p))}: ${key}: ${p.message}`;
  }

  /** Formats problems in document order, so the list reads top to bottom like the file. */
  formatAll(problems: Problem[]): string[] {
    return problems
      .map((p, i) => ({ p, i, offset: this.offsetOf(p) }))
      .sort((a, b) => a.offset - b.offset || a.i - b.i)
      .map(({ p }) => this.format(p));
  }

  private offsetOf(p: Problem): number {
    if (p.atKey && p.path.length > 0) {
      const parent = this.doc.getIn(p.path.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === p.path[p.path.length - 1]);
        const range = isScalar(pair?.key) ? pair.key.range : undefined;
        if (range) return range[0];
      }
    }
    for (let n = p.path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? this.doc.contents : this.doc.getIn(p.path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return range[0];
    }
    return 0;
  }

  private at(offset: number): string {
    const { line, col } = this.lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }
}

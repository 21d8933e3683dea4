import type { RelationOp } from './debian-version.js';

/** One package in a relation: `libc6 (>= 2.34)`, `python3:any`. */
export interface Relation {
  name: string;
  /** `:any`, `:native` or an architecture, when given. */
  archQualifier?: string;
  op?: RelationOp;
  version?: string;
}

/** A relation field (Depends, Pre-Depends, Recommends, Conflicts, Breaks, Provides): AND of OR-groups. */
export type RelationField = Relation[][];

const OPS: Record<string, RelationOp> = { '<<': '<<', '<=': '<=', '=': '=', '>=': '>=', '>>': '>>', '<': '<=', '>': '>=' };

/**
 * Debian Policy 7.1: comma-separated groups of `|` alternatives, each `name[:arch] [(op version)]`. Architecture
 * restrictions `[…]` and build profiles `<…>` belong to source packages and are dropped. Legacy `<` and `>` mean
 * `<=` and `>=`. Throws on a relation that cannot be read, naming it.
 */
export function parseRelations(value: string | undefined): RelationField {
  if (!value || value.trim() === '') return [];
  return value
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '')
    .map((group) =>
      group.split('|').map((alt) => {
        const cleaned = alt
          .replace(/\[[^\]]*\]/g, '')
          .replace(/<[^>]*>/g, (m) => (/^<\s*[<=>]/.test(m) ? m : ''))
          .trim();
        const m = /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|=|>=|>>|<|>)\s*([^)\s]+)\s*\))?$/i.exec(cleaned);
        if (!m) throw new Error(`cannot read the relation "${alt.trim()}"`);
        const op = m[3] ? OPS[m[3]] : undefined;
        return {
          name: (m[1] as string).toLowerCase(),
          ...(m[2] ? { archQualifier: m[2] } : {}),
          ...(op && m[4] ? { op, version: m[4] } : {}),
        };
      }),
    );
}

export function formatRelation(r: Relation): string {
  return `${r.name}${r.archQualifier ? `:${r.archQualifier}` : ''}${r.op ? ` (${r.op} ${r.version})` : ''}`;
}

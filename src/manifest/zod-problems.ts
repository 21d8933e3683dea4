import type { ZodIssue } from 'zod';
import type { KeyPath, Problem } from './yaml-source.js';

const WORDS: Record<string, string> = {
  array: 'a list',
  object: 'a mapping',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  float: 'a number',
  boolean: 'true or false',
  null: 'an empty value',
  date: 'a date',
};
const word = (t: string) => WORDS[t] ?? t;

/** zod issues as problems worded for someone editing YAML, with each unknown key reported on its own. */
export function problemsFromZod(issues: ZodIssue[]): Problem[] {
  return issues.flatMap(translate);
}

function translate(issue: ZodIssue): Problem[] {
  const path = issue.path;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ path: [...path, k], message: `unknown key "${k}"`, atKey: true }));
    case 'invalid_type': {
      if (issue.received === 'undefined') return [{ path, message: 'required key is missing' }];
      // YAML reads 1e5 or 0123 as numbers; quoting keeps them strings.
      const hint =
        issue.expected === 'string' && (issue.received === 'number' || issue.received === 'boolean') ? ' (put it in quotes)' : '';
      return [{ path, message: `expected ${word(issue.expected)}, got ${word(issue.received)}${hint}` }];
    }
    case 'invalid_literal':
      if (issue.received === undefined) return [{ path, message: 'required key is missing' }];
      return [{ path, message: `expected ${JSON.stringify(issue.expected)}` }];
    case 'invalid_union': {
      // Follow the one alternative whose outer type matched (a mapping given where a string or a mapping is
      // allowed), so its precise complaint is shown; otherwise the union's own message names the alternatives.
      const matched = issue.unionErrors.filter((e) => !e.issues.some((i) => isTypeMismatchAt(i, path)));
      if (matched.length === 1) return matched[0]!.issues.flatMap(translate);
      return [{ path, message: issue.message }];
    }
    case 'too_small':
      if (issue.type === 'array')
        return [{ path, message: `list at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}` }];
      if (issue.type === 'number') return [{ path, message: `must be at least ${String(issue.minimum)}` }];
      return [{ path, message: issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}

function isTypeMismatchAt(i: ZodIssue, path: KeyPath): boolean {
  return (
    (i.code === 'invalid_type' || i.code === 'invalid_literal') && i.path.length === path.length && i.path.every((p, n) => p === path[n])
  );
}

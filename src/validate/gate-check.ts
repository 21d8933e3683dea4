import { isFerryError } from '../core/errors.js';
import { parseReference } from '../core/reference.js';
import { type Rule, plainTextProblem } from './grammar.js';

/** One refused value: which artifact, which field, the value as found, and why. */
export interface GateProblem {
  artifact: string;
  field: string;
  value: unknown;
  why: string;
}

export type Report = (problem: GateProblem) => void;

/** Applies a rule to a value of an artifact's field; reports a problem and answers false when it fails. */
export type Check = (artifact: string, field: string, value: unknown, rule: Rule) => boolean;

/** Applies `rule` to `value` and reports a problem when it fails. */
export function checker(report: Report): Check {
  return (artifact: string, field: string, value: unknown, rule: Rule): boolean => {
    const why = typeof value === 'string' ? rule(value) : 'is not a string';
    if (why) report({ artifact, field, value, why });
    return why === undefined;
  };
}

/** An image reference as ferry writes it: parseable by the distribution grammar, and plain text. */
export const imageRefProblem: Rule = (v) => {
  const plain = plainTextProblem(v);
  if (plain) return plain;
  try {
    parseReference(v);
    return undefined;
  } catch (err) {
    if (isFerryError(err)) return 'is not an image reference (distribution-spec name and tag grammar)';
    throw err;
  }
};

import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { FerryError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { YamlSource } from '../manifest/yaml-source.js';
import { problemsFromZod } from '../manifest/zod-problems.js';
import { type MirrorRule, ruleOrProblem } from './mirror-rule.js';

/**
 * The --config file (docs/manifest.md "Mirrors and the config file"). Strict: unknown keys are errors, so a
 * misspelt `mirror:` is caught rather than silently pulling from upstream.
 */
const configSchema = z
  .object({
    // An empty `mirrors:` (every rule commented out) means no rules.
    mirrors: z.record(z.string(), z.string()).nullable().optional(),
  })
  .strict();

export interface FerryConfig {
  /** Validated [FROM, TO] rules in file order (registry hosts normalised, URL prefixes as written). */
  mirrors: MirrorRule[];
}

export async function loadConfig(path: string): Promise<FerryConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FerryError('USAGE', `cannot read config ${path}: ${(err as Error).message}`, { path });
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, path: string): FerryConfig {
  const src = new YamlSource(text, path);
  const syntax = src.syntaxErrors();
  if (syntax.length > 0) throw invalid(path, syntax);
  const parsed = configSchema.safeParse(src.toJS() ?? {});
  if (!parsed.success) throw invalid(path, src.formatAll(problemsFromZod(parsed.error.issues)));
  const mirrors: MirrorRule[] = [];
  const problems: string[] = [];
  for (const [from, to] of Object.entries(parsed.data.mirrors ?? {})) {
    const r = ruleOrProblem(from, to);
    if ('rule' in r) mirrors.push(r.rule);
    // The key is printed as the problem's path: masked, since a FROM may carry user-info.
    else problems.push(src.format({ path: ['mirrors', from], message: r.problem }).replace(from, redact(from)));
  }
  if (problems.length > 0) throw invalid(path, problems);
  return { mirrors };
}

function invalid(path: string, lines: string[]): FerryError {
  return new FerryError('USAGE', `invalid config ${path}:\n  ${lines.join('\n  ')}`, { path, problems: lines });
}

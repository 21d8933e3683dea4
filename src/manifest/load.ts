import { readFile } from 'node:fs/promises';
import { inputFileError } from '../core/input-file.js';
import { FerryError } from '../core/errors.js';
import { KINDS } from '../kinds/index.js';
import { isRecord, isString } from './fields.js';
import { platformsAt } from './platform.js';
import { normaliseHelmSetting } from '../kinds/chart/render/helm-setting.js';
import { manifestSchema } from './schema.js';
import { normaliseSignatures } from '../trust/cosign/policy.js';
import type { BundleManifest } from './types.js';
import { type Problem, YamlSource } from './yaml-source.js';
import { problemsFromZod } from './zod-problems.js';

export type { AptEntry, BundleManifest, ChartEntry, FileEntry, ImageEntry, PlatformSpec, Rke2Entry } from './types.js';

export async function loadManifest(path: string): Promise<BundleManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw inputFileError(err, path, 'bundle manifest');
  }
  return parseManifest(text, path);
}

/**
 * Parses and validates a manifest. Every problem is reported at once, each as `file:line:col: key.path: what`,
 * so a user fixes a manifest in one pass. Throws FerryError('MANIFEST_INVALID') with the lines in details.problems.
 */
export function parseManifest(text: string, path: string): BundleManifest {
  const src = new YamlSource(text, path);
  const syntax = src.syntaxErrors();
  if (syntax.length > 0) throw invalid(path, syntax);
  const data = src.toJS();
  if (data === null || data === undefined) throw invalid(path, [src.format({ path: [], message: 'the manifest is empty' })]);
  const parsed = manifestSchema().safeParse(data);
  // The meaning checks run even when the shape is wrong, on whatever parts are well-typed, so one run lists a
  // bad reference and a misspelt key together.
  const problems: Problem[] = parsed.success ? [] : problemsFromZod(parsed.error.issues);
  const manifest = normalise(data, path, problems);
  if (problems.length > 0) throw invalid(path, src.formatAll(problems));
  return manifest;
}

function normalise(raw: unknown, path: string, problems: Problem[]): BundleManifest {
  const spec = isRecord(raw) && isRecord(raw.spec) ? raw.spec : {};
  const name = isRecord(raw) && isRecord(raw.metadata) && isString(raw.metadata.name) ? raw.metadata.name : '';
  const platforms = platformsAt(spec.platforms, ['spec', 'platforms'], problems) ?? ['linux/amd64'];
  const helm = normaliseHelmSetting(spec.helm, path);
  const out: Record<string, unknown> = { path, name, platforms, ...(helm ? { helm } : {}) };
  if (spec.signatures !== undefined) out.signatures = normaliseSignatures(spec.signatures, ['spec', 'signatures'], path, problems);
  for (const k of KINDS) {
    const entries: unknown[] = k.normalise(spec[k.key], { at: ['spec', k.key], manifestPath: path, platforms, problems });
    if (k.cardinality === 'list') out[k.key] = entries;
    else if (entries[0] !== undefined) out[k.key] = entries[0];
  }
  return out as unknown as BundleManifest;
}

function invalid(path: string, lines: string[]): FerryError {
  return new FerryError('MANIFEST_INVALID', `invalid bundle manifest ${path}:\n  ${lines.join('\n  ')}`, { path, problems: lines });
}

import { readFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { FerryError } from '../core/errors.js';
import { inputFileError } from '../core/input-file.js';
import { comparableUrl } from '../core/url-form.js';
import { formatReference, parseReference } from '../core/reference.js';
import { fileNameFromUrl, fileNameProblem } from './file-name.js';
import { parsePlatformSpec, type PlatformProblem } from './platform.js';
import { httpUrlProblem, manifestSchema } from './schema.js';
import type { AptEntry, BundleManifest, ChartEntry, FileEntry, ImageEntry, PlatformSpec, Rke2Entry } from './types.js';
import { parseRelations } from '../kinds/apt/relations.js';
import { type KeyPath, type Problem, YamlSource } from './yaml-source.js';
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
  const parsed = manifestSchema.safeParse(data);
  // The meaning checks run even when the shape is wrong, on whatever parts are well-typed, so one run lists a
  // bad reference and a misspelt key together.
  const problems: Problem[] = parsed.success ? [] : problemsFromZod(parsed.error.issues);
  const manifest = normalise(data as Loose, path, problems);
  if (problems.length > 0) throw invalid(path, src.formatAll(problems));
  return manifest;
}

/** The parsed YAML before validation: anything may be missing or of the wrong type. */
type Loose = { metadata?: { name?: unknown }; spec?: { platforms?: unknown; images?: unknown; files?: unknown; rke2?: unknown; charts?: unknown; apt?: unknown; ferry?: unknown } } | null;

const isString = (v: unknown): v is string => typeof v === 'string';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function normalise(raw: Loose, path: string, problems: Problem[]): BundleManifest {
  const spec = isRecord(raw) && isRecord(raw.spec) ? raw.spec : {};
  const name = isRecord(raw) && isRecord(raw.metadata) && isString(raw.metadata.name) ? raw.metadata.name : '';
  const platforms = platformsAt(spec.platforms, ['spec', 'platforms'], problems) ?? ['linux/amd64'];
  const r = rke2(spec.rke2);
  return {
    path,
    name,
    platforms,
    images: images(list(spec.images), platforms, problems),
    files: files(list(spec.files), problems),
    ...(r ? { rke2: r } : {}),
    charts: charts(list(spec.charts), path, problems),
    apt: aptSources(list(spec.apt), path, problems),
    ...(spec.ferry === true ? { ferry: {} } : isRecord(spec.ferry) && isString(spec.ferry.path) ? { ferry: { path: resolvePath(dirname(path), spec.ferry.path) } } : {}),
  };
}

function aptSources(items: unknown[], manifestPath: string, problems: Problem[]): AptEntry[] {
  const strings = (v: unknown) => list(v).filter(isString);
  const out: AptEntry[] = [];
  items.forEach((a, i) => {
    if (!isRecord(a) || !isString(a.url) || !isString(a.keyring)) return;
    strings(a.packages).forEach((p, n) => {
      try {
        if (parseRelations(p).flat().length !== 1) throw new Error('expected one package, optionally with a version: jq (>= 1.6)');
      } catch (err) {
        problems.push({ path: ['spec', 'apt', i, 'packages', n], message: (err as Error).message });
      }
    });
    const here = dirname(manifestPath);
    out.push({
      url: a.url.replace(/\/+$/, ''),
      suites: strings(a.suites),
      components: strings(a.components),
      architectures: a.architectures === undefined ? ['amd64'] : strings(a.architectures),
      keyring: resolvePath(here, a.keyring),
      packages: strings(a.packages),
      dependencies: a.dependencies !== false,
      recommends: a.recommends === true,
      ...(isString(a.installed) ? { installed: resolvePath(here, a.installed) } : {}),
    });
  });
  return out;
}

function charts(items: unknown[], manifestPath: string, problems: Problem[]): ChartEntry[] {
  const out: ChartEntry[] = [];
  const seen = new Map<string, number>();
  items.forEach((c, i) => {
    if (!isRecord(c) || !isString(c.repo) || !isString(c.name) || (!isString(c.version) && typeof c.version !== 'number')) return;
    // The same repository written two ways (`HTTPS://Charts.Example`, `https://charts.example/`) is one repository.
    const key = `${comparableUrl(c.repo.replace(/\/+$/, ''))} ${c.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ path: ['spec', 'charts', i, 'name'], message: `chart ${c.name} from ${c.repo} is listed twice (also spec.charts.${first})` });
      return;
    }
    seen.set(key, i);
    const refs = (field: 'extraImages', v: unknown): string[] =>
      list(v).flatMap((r, n) => {
        if (!isString(r)) return [];
        try {
          return [formatReference(parseReference(r))];
        } catch (err) {
          problems.push({ path: ['spec', 'charts', i, field, n], message: (err as Error).message });
          return [];
        }
      });
    out.push({
      repo: c.repo.replace(/\/+$/, ''),
      name: c.name,
      version: String(c.version),
      images: c.images !== false,
      values: list(c.values).filter(isString).map((v) => resolvePath(dirname(manifestPath), v)),
      extraImages: refs('extraImages', c.extraImages),
      excludeImages: list(c.excludeImages).filter(isString),
    });
  });
  return out;
}

export const RKE2_RELEASE_URL = 'https://github.com/rancher/rke2/releases/download';
export const RKE2_INSTALL_SCRIPT_URL = 'https://get.rke2.io';

/** Defaults for spec.rke2 (the schema has already reported what is wrong with it). */
function rke2(raw: unknown): Rke2Entry | undefined {
  if (!isRecord(raw) || !isString(raw.version)) return undefined;
  const sets = Array.isArray(raw.imageSets) && raw.imageSets.every(isString) ? [...new Set(raw.imageSets)] : undefined;
  return {
    version: raw.version,
    arch: isString(raw.arch) ? raw.arch : 'amd64',
    ...(sets ? { imageSets: sets } : {}),
    installScript: raw.installScript !== false,
    pushImages: raw.pushImages !== false,
    releaseUrl: (isString(raw.releaseUrl) ? raw.releaseUrl : RKE2_RELEASE_URL).replace(/\/+$/, ''),
    installScriptUrl: isString(raw.installScriptUrl) ? raw.installScriptUrl : RKE2_INSTALL_SCRIPT_URL,
  };
}

function platformsAt(value: unknown, at: KeyPath, problems: Problem[]): PlatformSpec | undefined {
  if (!isString(value) && !(Array.isArray(value) && value.length > 0 && value.every(isString))) return undefined;
  const found: PlatformProblem[] = [];
  const spec = parsePlatformSpec(value, found);
  for (const f of found) problems.push({ path: f.index === undefined ? at : [...at, f.index], message: f.message });
  return spec;
}

function images(items: unknown[], platforms: PlatformSpec, problems: Problem[]): ImageEntry[] {
  const out: ImageEntry[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const input = isString(item) ? item : isRecord(item) && isString(item.ref) ? item.ref : undefined;
    if (input === undefined) return;
    const at: KeyPath = isString(item) ? ['spec', 'images', i] : ['spec', 'images', i, 'ref'];
    const own = isRecord(item) ? platformsAt(item.platforms, ['spec', 'images', i, 'platforms'], problems) : undefined;
    let ref: string;
    try {
      ref = formatReference(parseReference(input));
    } catch (err) {
      problems.push({ path: at, message: (err as Error).message });
      return;
    }
    const first = seen.get(ref);
    if (first !== undefined) {
      problems.push({ path: at, message: `duplicate image ${ref} (same as spec.images.${first} after normalisation)` });
      return;
    }
    seen.set(ref, i);
    out.push({ ref, platforms: own ?? platforms });
  });
  return out;
}

function files(items: unknown[], problems: Problem[]): FileEntry[] {
  const out: FileEntry[] = [];
  const seen = new Map<string, number>();
  items.forEach((f, i) => {
    if (!isRecord(f) || !isString(f.url) || httpUrlProblem(f.url) !== undefined) return;
    const given = isString(f.name) ? f.name : undefined;
    const at: KeyPath = ['spec', 'files', i, given !== undefined ? 'name' : 'url'];
    const name = given ?? fileNameFromUrl(new URL(f.url));
    if (name === undefined) {
      problems.push({ path: at, message: "the URL's last path segment is not valid percent-encoding; set name:" });
      return;
    }
    const why = fileNameProblem(name);
    if (why) {
      const fix = given === undefined ? ' (derived from the URL; set name:)' : '';
      problems.push({ path: at, message: `file name ${JSON.stringify(name)} ${why}${fix}` });
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({ path: ['spec', 'files', i], message: `duplicate file name ${name} (also spec.files.${first}); set name: to tell them apart` });
      return;
    }
    seen.set(name, i);
    out.push({
      url: f.url,
      name,
      ...(isString(f.sha256) ? { sha256: f.sha256.toLowerCase() } : {}),
      ...(isString(f.checksums) ? { checksums: f.checksums } : {}),
    });
  });
  return out;
}

function invalid(path: string, lines: string[]): FerryError {
  return new FerryError('MANIFEST_INVALID', `invalid bundle manifest ${path}:\n  ${lines.join('\n  ')}`, { path, problems: lines });
}

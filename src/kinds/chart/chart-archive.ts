import { Parser } from 'tar';
import { parse } from 'yaml';
import { FerryError } from '../../core/errors.js';
import { gunzipBounded } from '../../core/gunzip-bounded.js';

/** Chart.yaml fields ferry uses (helm pkg/chart/metadata.go). */
export interface ChartMeta {
  apiVersion?: string;
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  annotations?: Record<string, string>;
  dependencies?: { name: string; alias?: string; condition?: string; tags?: string[]; version?: string; repository?: string }[];
  [key: string]: unknown;
}

/** A chart as its archive holds it: metadata, default values, templates, and the subcharts under `charts/`. */
export interface Chart {
  meta: ChartMeta;
  values: Record<string, unknown>;
  templates: { path: string; text: string }[];
  subcharts: Chart[];
  /** Where this chart sits in its parent archive, for messages: `kube-prometheus-stack/charts/grafana`. */
  path: string;
}

/** Charts are small; a bigger archive is not a chart (or not one ferry should read into memory). */
const MAX_CHART_BYTES = 64 << 20;
/**
 * Helm's own loader limits (helm pkg/chart/loader/archive.go, MaxDecompressedChartSize and MaxDecompressedFileSize):
 * a chart inflates to at most 100 MiB, subcharts included, and no file in it exceeds 5 MiB. A chart Helm would refuse
 * is no loss; a gzip bomb stops at the cap instead of filling memory.
 */
export const MAX_INFLATED_CHART = 100 << 20;
export const MAX_CHART_FILE = 5 << 20;

/**
 * Reads a packaged chart (`.tgz`, helm pkg/chart/loader/archive.go): files under one top directory, `Chart.yaml`,
 * `values.yaml`, `templates/`, and subcharts under `charts/` either as directories or as nested `.tgz` archives
 * (how `helm package` stores dependencies). Throws FerryError('CHART_INVALID') naming `subject`.
 */
export function readChartArchive(tgz: Buffer, subject: string, budget = { left: MAX_INFLATED_CHART }): Chart {
  if (tgz.length > MAX_CHART_BYTES) throw invalid(subject, `is ${tgz.length} bytes, more than a chart archive may be`);
  let files: Map<string, Buffer>;
  try {
    const tar = gunzipBounded(tgz, budget.left, () =>
      invalid(subject, `inflates past ${MAX_INFLATED_CHART} bytes (100 MiB, subcharts included), more than Helm loads`),
    );
    budget.left -= tar.length;
    files = untar(tar, subject);
  } catch (err) {
    if (err instanceof FerryError) throw err;
    throw invalid(subject, `is not a gzip-compressed tar: ${(err as Error).message}`);
  }
  const tops = new Set([...files.keys()].map((p) => p.split('/')[0] as string));
  const top = [...tops].find((t) => files.has(`${t}/Chart.yaml`));
  if (!top) throw invalid(subject, 'has no <chart>/Chart.yaml');
  return chartFrom(files, top, top, subject, budget);
}

function chartFrom(files: Map<string, Buffer>, dir: string, path: string, subject: string, budget: { left: number }): Chart {
  const text = (p: string) => files.get(p)?.toString('utf8');
  const meta = yamlAt(text(`${dir}/Chart.yaml`), `${path}/Chart.yaml`, subject) as ChartMeta | null;
  if (!meta || typeof meta.name !== 'string' || meta.version === undefined)
    throw invalid(subject, `${path}/Chart.yaml needs name and version`);
  meta.version = String(meta.version);
  if (meta.appVersion !== undefined) meta.appVersion = String(meta.appVersion);
  const values = (yamlAt(text(`${dir}/values.yaml`) ?? '', `${path}/values.yaml`, subject) ?? {}) as Record<string, unknown>;
  const templates: Chart['templates'] = [];
  const subDirs = new Set<string>();
  const subchartArchives: Chart[] = [];
  for (const [p, body] of files) {
    if (!p.startsWith(`${dir}/`)) continue;
    const rel = p.slice(dir.length + 1);
    if (rel.startsWith('templates/')) templates.push({ path: `${path}/${rel}`, text: body.toString('utf8') });
    const sub = /^charts\/([^/]+)\/(.+)$/.exec(rel);
    if (sub) subDirs.add(sub[1] as string);
    else if (/^charts\/[^/]+\.tgz$/.test(rel)) {
      const nested = readChartArchive(body, `${subject} ${path}/${rel}`, budget);
      subchartArchives.push({ ...relocate(nested, `${path}/charts/${nested.meta.name}`) });
    }
  }
  const subcharts = [...subDirs]
    .filter((d) => files.has(`${dir}/charts/${d}/Chart.yaml`))
    .map((d) => chartFrom(files, `${dir}/charts/${d}`, `${path}/charts/${d}`, subject, budget));
  templates.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { meta, values, templates, subcharts: [...subcharts, ...subchartArchives].sort((a, b) => (a.path < b.path ? -1 : 1)), path };
}

function relocate(chart: Chart, path: string): Chart {
  const from = chart.path;
  const move = (p: string) => path + p.slice(from.length);
  return {
    ...chart,
    path,
    templates: chart.templates.map((t) => ({ ...t, path: move(t.path) })),
    subcharts: chart.subcharts.map((s) => relocate(s, move(s.path))),
  };
}

function yamlAt(text: string | undefined, where: string, subject: string): unknown {
  if (text === undefined) return undefined;
  try {
    return parse(text, { uniqueKeys: false });
  } catch (err) {
    throw invalid(subject, `${where}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function untar(tarBytes: Buffer, subject: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let tooBig: FerryError | undefined;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      if (entry.type !== 'File' && entry.type !== 'OldFile') {
        entry.resume();
        return;
      }
      if ((entry.size ?? 0) > MAX_CHART_FILE) {
        tooBig ??= invalid(
          subject,
          `${entry.path} is ${entry.size} bytes, more than the ${MAX_CHART_FILE} bytes (5 MiB) Helm loads of one chart file`,
        );
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      const path = entry.path.replace(/^\.\//, '');
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => files.set(path, Buffer.concat(chunks)));
    },
  });
  let failure: unknown;
  parser.on('error', (err: unknown) => (failure = err));
  parser.end(tarBytes);
  if (tooBig) throw tooBig;
  if (failure) throw failure;
  return files;
}

function invalid(subject: string, what: string): FerryError {
  return new FerryError('CHART_INVALID', `${subject} ${what}`, { chart: subject });
}

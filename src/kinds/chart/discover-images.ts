import { parse } from 'yaml';
import { formatReference, parseReference } from '../../core/reference.js';
import type { Chart } from './chart-archive.js';
import { type Values, isMap, mergeValues, subchartValues, valueAt } from './values.js';

/** An image a chart uses, and every place that says so (for the reviewer: why is this image in the bundle?). */
export interface DiscoveredImage {
  ref: string;
  sources: string[];
}

/**
 * Static image discovery. Helm templates need Go's template engine to render, so ferry reads what the chart states
 * instead: image objects in the effective values of the chart and each enabled subchart, the `helm.sh/images` and
 * `artifacthub.io/images` annotations, and literal image references in templates. docs/charts.md lists what this
 * cannot see (images built by template logic, CRs an operator creates); `extraImages` covers those.
 */
export function discoverImages(chart: Chart, userValues: Values = {}): DiscoveredImage[] {
  const found = new Map<string, Set<string>>();
  const add = (raw: string, source: string) => {
    let ref: string;
    try {
      ref = formatReference(parseReference(raw));
    } catch {
      return; // not an image reference after all (a template fragment, a placeholder)
    }
    let s = found.get(ref);
    if (!s) found.set(ref, (s = new Set()));
    s.add(source);
  };
  visit(chart, mergeValues(chart.values, userValues), add);
  return [...found].map(([ref, sources]) => ({ ref, sources: [...sources].sort() })).sort((a, b) => (a.ref < b.ref ? -1 : 1));
}

type Add = (ref: string, source: string) => void;

function visit(chart: Chart, values: Values, add: Add): void {
  const file = `${chart.path}/values.yaml`;
  const globalRegistry =
    typeof valueAt(values, 'global.imageRegistry') === 'string' ? (valueAt(values, 'global.imageRegistry') as string) : '';
  walkValues(values, [], chart.meta.appVersion, globalRegistry, (ref, at) => add(ref, `${file}: ${at}`));
  for (const key of ['helm.sh/images', 'artifacthub.io/images']) {
    for (const ref of annotationImages(chart.meta.annotations?.[key])) add(ref, `${chart.path}/Chart.yaml: annotation ${key}`);
  }
  for (const t of chart.templates) {
    t.text.split('\n').forEach((line, i) => {
      const m = /^\s*-?\s*image:\s*["']?([^\s"'{}#]+)["']?\s*(#.*)?$/.exec(line);
      if (m && (m[1] as string).includes(':') && !line.includes('{{')) add(m[1] as string, `${t.path} line ${i + 1}`);
    });
  }
  for (const sub of chart.subcharts) {
    const dep = chart.meta.dependencies?.find((d) => d.name === sub.meta.name);
    const key = dep?.alias ?? sub.meta.name;
    if (dep && !dependencyEnabled(dep, values)) continue;
    visit(sub, subchartValues(sub.values, values, key), add);
  }
}

/** helm pkg/chart/util/dependencies.go: the first condition path that resolves to a boolean decides; then tags. */
function dependencyEnabled(dep: { condition?: string; tags?: string[] }, values: Values): boolean {
  for (const path of (dep.condition ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const v = valueAt(values, path);
    if (typeof v === 'boolean') return v;
  }
  const tags = isMap(values.tags) ? (values.tags as Values) : {};
  const states = (dep.tags ?? []).map((t) => tags[t]).filter((v): v is boolean => typeof v === 'boolean');
  return states.length === 0 || states.some((s) => s);
}

const scalar = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * Image objects in their common shapes: `{registry, repository, tag, digest|sha}` and `{repository, tag}` (an
 * empty tag means the chart's appVersion), and `image: "repo:tag"` strings. A section with `enabled: false` is
 * skipped with everything under it. `global.imageRegistry` replaces the registry of object-form images.
 */
function walkValues(
  node: unknown,
  path: string[],
  appVersion: string | undefined,
  globalRegistry: string,
  found: (ref: string, at: string) => void,
): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walkValues(item, [...path, String(i)], appVersion, globalRegistry, found));
    return;
  }
  if (!isMap(node)) return;
  if (node.enabled === false) return;
  const at = path.join('.') || '(root)';
  const key = path[path.length - 1] ?? '';
  if (typeof node.repository === 'string' && node.repository !== '' && (/image/i.test(key) || 'tag' in node || 'registry' in node)) {
    const registry = globalRegistry || scalar(node.registry) || '';
    const tag = scalar(node.tag) ?? appVersion;
    const digest = scalar(node.digest) ?? (scalar(node.sha) ? `sha256:${scalar(node.sha)}` : undefined);
    if (tag !== undefined || digest !== undefined) {
      const name = registry ? `${registry.replace(/\/+$/, '')}/${node.repository}` : node.repository;
      found(`${name}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`, at);
    }
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    if (typeof v === 'string' && /image$/i.test(k) && /^[a-z0-9][^\s{}]*[:@][^\s{}]+$/.test(v)) found(v, [...path, k].join('.'));
    else walkValues(v, [...path, k], appVersion, globalRegistry, found);
  }
}

/** `helm.sh/images` / `artifacthub.io/images`: a YAML list of `{name, image}` (or of plain strings). */
function annotationImages(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const list = parse(text) as unknown;
    if (!Array.isArray(list)) return [];
    return list.map((e) => (typeof e === 'string' ? e : isMap(e) && typeof e.image === 'string' ? e.image : '')).filter(Boolean);
  } catch {
    return [];
  }
}

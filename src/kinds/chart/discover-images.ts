import { parse } from 'yaml';
import { formatReference, parseReference } from '../../core/reference.js';
import type { Chart } from './chart-archive.js';
import { type ChartEvaluation, evaluateChart, parseTree } from './static/evaluate-chart.js';
import { type ImageCandidate, valuesImages } from './static/values-images.js';
import { type Values, isMap, mergeValues, subchartValues, valueAt } from './values.js';

/** An image a chart uses, and every place that says so (for the reviewer: why is this image in the bundle?). */
export interface DiscoveredImage {
  ref: string;
  sources: string[];
}

/** An image a template writes that static reading cannot complete: flagged, not guessed. */
export interface UnresolvedImage {
  image: string;
  why: string;
  source: string;
}

export interface StaticImages {
  images: DiscoveredImage[];
  unresolved: UnresolvedImage[];
}

/** A user's values file, as the lock names it, and what it holds. */
export interface UserValues {
  path: string;
  values: Values;
}

/**
 * Static image discovery, for when there is no Helm: the chart's templates are run by ferry's own partial evaluator
 * of Go templates (static/), with the chart's values and the user's, and the images they write are read as from
 * Helm's output. What the evaluator cannot know (the cluster's Kubernetes version, lookups) makes both branches of
 * a condition count and an image built from it flagged. Image objects in the values are credited for the images
 * they make, and kept on their own only when a template reads them; plus the `helm.sh/images` and
 * `artifacthub.io/images` annotations. docs/charts.md "Static discovery" says what this sees and what it cannot.
 */
export function discoverImages(chart: Chart, user: UserValues[] = [], opts: { kubeVersion?: string | undefined } = {}): StaticImages {
  const found = new Map<string, Set<string>>();
  const unresolved = new Map<string, UnresolvedImage>();
  const add = (raw: string, source: string) => {
    const ref = normalised(raw);
    if (!ref) return;
    let s = found.get(ref);
    if (!s) found.set(ref, (s = new Set()));
    s.add(source);
  };
  const tree = parseTree(chart);
  const merged = user.reduce((acc, u) => mergeValues(acc, u.values), {} as Values);
  const visit = (c: Chart, values: Values, at: string[]) => {
    const ev = evaluateChart(c, values, tree, { release: chart.meta.name, kubeVersion: opts.kubeVersion });
    const credit = (cand: ImageCandidate) => {
      const full = [...at, cand.path].join('.');
      const file = [...user].reverse().find((u) => valueAt(u.values, full) !== undefined);
      return file ? `${file.path}: ${full}` : `${c.path}/values.yaml: ${cand.path}`;
    };
    const candidates = valuesImages(values, c.meta.appVersion);
    const explained = new Set<ImageCandidate>();
    for (const e of ev.emitted) {
      add(e.raw, e.where);
      for (const cand of candidates.filter((k) => names(e.raw, k.repository))) {
        explained.add(cand);
        add(e.raw, credit(cand));
      }
    }
    for (const f of ev.flagged) {
      for (const cand of candidates.filter((k) => names(f.text, k.repository))) explained.add(cand);
      if (!unresolved.has(f.text)) unresolved.set(f.text, { image: f.text, why: [...new Set(f.whys)].join('; '), source: f.where });
    }
    // A values image no template wrote: kept when some template reads it (or a template could not be read).
    for (const cand of candidates) if (!explained.has(cand) && (ev.unread.length > 0 || isRead(ev, cand.path))) add(cand.ref, credit(cand));
    for (const key of ['helm.sh/images', 'artifacthub.io/images']) {
      for (const ref of annotationImages(c.meta.annotations?.[key])) add(ref, `${c.path}/Chart.yaml: annotation ${key}`);
    }
    for (const sub of c.subcharts) {
      const dep = c.meta.dependencies?.find((d) => d.name === sub.meta.name);
      const key = dep?.alias ?? sub.meta.name;
      if (dep && !dependencyEnabled(dep, values)) continue;
      visit(sub, subchartValues(sub.values, values, key), [...at, key]);
    }
  };
  visit(chart, mergeValues(chart.values, merged), []);
  const byRef = (a: { ref: string }, b: { ref: string }) => (a.ref < b.ref ? -1 : 1);
  return {
    images: [...found].map(([ref, sources]) => ({ ref, sources: [...sources].sort() })).sort(byRef),
    unresolved: [...unresolved.values()].sort((a, b) => (a.image < b.image ? -1 : 1)),
  };
}

const normalised = (raw: string): string | undefined => {
  try {
    return formatReference(parseReference(raw));
  } catch {
    return undefined; // not an image reference after all (a placeholder, an empty field)
  }
};

/** Does the image text name this repository (as a whole path component run: `busybox` is not `quay.io/x/busybox2`)? */
function names(text: string, repository: string): boolean {
  const esc = repository.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|/)${esc}([:@]|$)`).test(text);
}

const isRead = (ev: ChartEvaluation, path: string): boolean => ev.reads.has(path) || [...ev.reads].some((r) => r.startsWith(`${path}.`));

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

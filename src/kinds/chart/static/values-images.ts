import { type Values, isMap, valueAt } from '../values.js';

/** An image object or string in a chart's values: where, the reference it spells, and its repository for matching. */
export interface ImageCandidate {
  path: string;
  ref: string;
  repository: string;
}

const scalar = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * Image objects in their common shapes: `{registry, repository, tag, digest|sha}`, `{repository, tag}`, `{registry,
 * image, tag, digest}` (ingress-nginx's), and `image: "repo:tag"` strings; a section with `enabled: false` is
 * skipped with everything under it. `global.imageRegistry` and `global.image.registry` replace the registry of the
 * object forms; an empty tag means the chart's appVersion. What the templates write is the better answer
 * (evaluate-chart.ts); these say which values made an image, and stand in for a template that could not be read.
 */
export function valuesImages(values: Values, appVersion: string | undefined): ImageCandidate[] {
  const out: ImageCandidate[] = [];
  const str = (p: string) => (typeof valueAt(values, p) === 'string' ? (valueAt(values, p) as string) : '');
  const globalRegistry = str('global.imageRegistry') || str('global.image.registry');
  walk(values, [], appVersion, globalRegistry, out);
  return out;
}

function walk(node: unknown, path: string[], appVersion: string | undefined, globalRegistry: string, out: ImageCandidate[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, [...path, String(i)], appVersion, globalRegistry, out));
    return;
  }
  if (!isMap(node) || node.enabled === false) return;
  const key = path[path.length - 1] ?? '';
  const repo =
    typeof node.repository === 'string' && node.repository !== '' && (/image/i.test(key) || 'tag' in node || 'registry' in node)
      ? node.repository
      : typeof node.image === 'string' &&
          node.image !== '' &&
          !/[:@]/.test(node.image) &&
          ('tag' in node || 'digest' in node || 'registry' in node)
        ? node.image
        : undefined;
  if (repo !== undefined) {
    const registry = globalRegistry || scalar(node.registry) || '';
    const tag = scalar(node.tag) ?? appVersion;
    const digest = scalar(node.digest) ?? (scalar(node.sha) ? `sha256:${scalar(node.sha)}` : undefined);
    if (tag !== undefined || digest !== undefined) {
      const name = registry ? `${registry.replace(/\/+$/, '')}/${repo}` : repo;
      out.push({
        path: path.join('.'),
        ref: `${name}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`,
        repository: repo,
      });
    }
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    if (typeof v === 'string' && /image$/i.test(k) && /^[a-z0-9][^\s{}]*[:@][^\s{}]+$/.test(v)) {
      out.push({ path: [...path, k].join('.'), ref: v, repository: v.replace(/@.*$/, '').replace(/:[^:/]+$/, '') });
    } else walk(v, [...path, k], appVersion, globalRegistry, out);
  }
}

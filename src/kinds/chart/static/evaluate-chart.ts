import { posix } from 'node:path';
import type { Chart } from '../chart-archive.js';
import { isPullable, renderedObjects, visitObject } from '../render/rendered-images.js';
import type { Values } from '../values.js';
import { BudgetExceeded, Evaluator } from './template-eval.js';
import { type Node, parseTemplate } from './template-parse.js';
import { Unknown, hasMark, unmark } from './unknown.js';

/** An image a template writes, known in full (`raw` as written), and where. */
export interface Emitted {
  raw: string;
  where: string;
}
/** An image a template writes with parts static reading cannot know: `registry.k8s.io/kubectl:<the cluster's Kubernetes version>`. */
export interface Flagged {
  text: string;
  whys: string[];
  where: string;
}

export interface ChartEvaluation {
  emitted: Emitted[];
  flagged: Flagged[];
  /** Values paths the templates read on the way (relative to this chart's values). */
  reads: Set<string>;
  /** Templates of this chart that could not be read (syntax ferry does not know, or too many steps), with why. */
  unread: string[];
}

/** The templates of a chart and its subcharts, parsed once: named templates are shared across them, as in Helm. */
export interface ParsedTree {
  defines: Map<string, Node[]>;
  bodies: Map<string, Node[]>;
  problems: Map<string, string>;
  parse(text: string): Node[];
  steps: { left: number };
}

/** Steps for one chart tree (kube-prometheus-stack, the largest chart measured, takes about a tenth of them). */
const STEPS = 4_000_000;

export function parseTree(root: Chart): ParsedTree {
  const tree: ParsedTree = {
    defines: new Map(),
    bodies: new Map(),
    problems: new Map(),
    parse: cachedParse(),
    steps: { left: STEPS },
  };
  const add = (chart: Chart) => {
    for (const sub of chart.subcharts) add(sub);
    for (const t of chart.templates) {
      try {
        const parsed = parseTemplate(t.text);
        for (const [name, body] of parsed.defines) tree.defines.set(name, body);
        tree.bodies.set(t.path, parsed.body);
        tree.defines.set(t.path, parsed.body); // `include (print $.Template.BasePath "/configmap.yaml") .`
      } catch (err) {
        tree.problems.set(t.path, (err as Error).message);
      }
    }
  };
  add(root);
  return tree;
}

function cachedParse(): (text: string) => Node[] {
  const cache = new Map<string, Node[]>();
  return (text) => {
    let body = cache.get(text);
    if (!body) cache.set(text, (body = parseTemplate(text).body));
    return body;
  };
}

/** What Helm gives a chart's templates (helm pkg/engine: .Values, .Chart, .Release, .Capabilities, .Template, .Files). */
function rootData(chart: Chart, values: Values, release: string, kubeVersion: string | undefined, template: string): Values {
  const meta = Object.fromEntries(Object.entries(chart.meta).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]));
  const kv = /^v?(\d+)\.(\d+)/.exec(kubeVersion ?? '');
  return {
    Values: values,
    Chart: meta,
    Release: { Name: release, Namespace: 'default', Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
    Capabilities: {
      KubeVersion: kv
        ? { Version: `v${kubeVersion?.replace(/^v/, '')}`, GitVersion: `v${kubeVersion?.replace(/^v/, '')}`, Major: kv[1], Minor: kv[2] }
        : new Unknown("the cluster's Kubernetes version"),
      APIVersions: new Unknown("the cluster's API versions"),
    },
    Template: { Name: template, BasePath: `${chart.path}/templates` },
    Files: new Unknown("the chart's files"),
  };
}

/**
 * Runs each manifest template of `chart` (not `_` partials, not NOTES.txt) with `values`, and reads the images in
 * what they write: as objects (render/rendered-images.ts, the same rules as for Helm's output) where the text is
 * YAML, else line by line (`image:` lines and `--flag=REF` arguments).
 */
export function evaluateChart(
  chart: Chart,
  values: Values,
  tree: ParsedTree,
  opts: { release: string; kubeVersion?: string | undefined },
): ChartEvaluation {
  const out: ChartEvaluation = { emitted: [], flagged: [], reads: new Set(), unread: [] };
  const paths = new WeakMap<object, string>();
  const own = structuredClone(values);
  paths.set(own, '');
  const ev = new Evaluator({ defines: tree.defines, parse: tree.parse, read: (p) => out.reads.add(p), paths, steps: tree.steps });
  for (const t of chart.templates) {
    const base = posix.basename(t.path);
    if (base.startsWith('_') || base === 'NOTES.txt') continue;
    const problem = tree.problems.get(t.path);
    if (problem) {
      out.unread.push(`${t.path}: ${problem}`);
      continue;
    }
    let text: string;
    try {
      text = ev.run(tree.bodies.get(t.path) ?? [], rootData(chart, own, opts.release, opts.kubeVersion, t.path));
    } catch (err) {
      if (!(err instanceof BudgetExceeded) && !(err instanceof RangeError)) throw err;
      out.unread.push(`${t.path}: ${err.message}`);
      continue;
    }
    scan(text, t.path, out);
  }
  return out;
}

function scan(text: string, file: string, out: ChartEvaluation): void {
  const add = (raw: string, where: string) => {
    const at = `${file}: ${where}`;
    if (!hasMark(raw)) out.emitted.push({ raw, where: at });
    else {
      const { text: shown, whys } = unmark(raw);
      out.flagged.push({ text: shown, whys, where: at });
    }
  };
  try {
    for (const obj of renderedObjects(text)) visitObject(obj, add);
  } catch {
    // Both branches of an unknown condition can make text that is not YAML (a key twice): read it line by line.
    text.split('\n').forEach((line, i) => {
      const image = /^\s*(?:-\s+)?["']?image["']?:\s+["']?([^"'\s]+)["']?\s*$/.exec(line);
      if (image) add(image[1] as string, `line ${i + 1}`);
      const flag = /^\s*-\s+["']?(--?[A-Za-z0-9][\w.-]*)=([^"'\s]+)["']?\s*$/.exec(line);
      if (flag && !hasMark(flag[2] as string) && isPullable(flag[2] as string))
        add(flag[2] as string, `line ${i + 1} ${flag[1] as string}`);
    });
  }
}

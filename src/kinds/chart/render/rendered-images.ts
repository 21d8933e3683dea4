import { Document, parseAllDocuments } from 'yaml';
import { formatReference, parseReference } from '../../../core/reference.js';

/** An image a rendered chart uses, and every object that says so. */
export interface RenderedImage {
  ref: string;
  sources: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Where each workload kind keeps its pod spec (Kubernetes API: core/v1 Pod and PodTemplate, apps/v1, batch/v1).
 * Anything else is walked for `image` fields instead (operator custom resources: Prometheus, Alertmanager, …).
 */
const POD_SPEC_AT: Record<string, string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const CONTAINER_LISTS = [
  ['containers', 'container'],
  ['initContainers', 'init container'],
  ['ephemeralContainers', 'ephemeral container'],
] as const;

/** Thrown for a document of Helm's output that is not YAML (the caller names the chart). */
export class RenderedYamlError extends Error {}

/**
 * Every image in `helm template` output: the containers of each workload's pod spec (and its image volumes), the
 * `image` string fields of every other object (a CustomResourceDefinition excepted: its schema names fields, not
 * images), and `--flag=REF` container arguments, commands and env values that name a pullable reference. Each is
 * normalised (core/reference.ts) and credited as `rendered: Kind/name where`; one image named twice keeps both.
 */
export function renderedImages(output: string): RenderedImage[] {
  const found = new Map<string, Set<string>>();
  const add = (raw: string, source: string) => {
    let ref: string;
    try {
      ref = formatReference(parseReference(raw));
    } catch {
      return; // not an image reference (an empty or templated-away field)
    }
    let s = found.get(ref);
    if (!s) found.set(ref, (s = new Set()));
    s.add(`rendered: ${source}`);
  };
  for (const obj of renderedObjects(output)) visitObject(obj, add);
  return [...found].map(([ref, s]) => ({ ref, sources: [...s].sort() })).sort((a, b) => (a.ref < b.ref ? -1 : 1));
}

/**
 * YAML's document markers: `---` or `...` at the start of a line, then a space or the line's end. They cannot occur
 * inside a document's content (YAML 1.2 c-forbidden), so the text between two of them is one document or none.
 */
const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
/** A top-level `kind: CustomResourceDefinition` line (a block scalar's lines are indented, a top-level key is not). */
const CRD_KIND = /^kind:[ \t]*["']?CustomResourceDefinition["']?[ \t]*\r?$/m;

/**
 * The objects of a multi-document YAML stream, one document at a time (Helm's output runs to megabytes, most of it
 * CRD schemas and dashboards). A document that cannot name an image (no `image` in its text) or is a CRD is not
 * parsed at all: the rules of visitObject would take nothing from it.
 */
export function* renderedObjects(output: string): Generator<unknown> {
  const starts = [0, ...[...output.matchAll(MARKER)].map((m) => m.index)];
  for (let i = 0; i < starts.length; i++) {
    const text = output.slice(starts[i], starts[i + 1] ?? output.length);
    if (!text.includes('image') || CRD_KIND.test(text)) continue;
    for (const doc of parseAllDocuments(text)) {
      if (!(doc instanceof Document)) continue;
      const first = doc.errors[0];
      if (first) throw new RenderedYamlError(first.message.split('\n')[0]);
      yield doc.toJS({ maxAliasCount: 100 }) as unknown;
    }
  }
}

type Add = (raw: string, source: string) => void;

export function visitObject(obj: unknown, add: Add): void {
  if (!isObj(obj)) return;
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  // A `List` (v1 List, ConfigMapList, …) carries its objects in `items`.
  if (kind.endsWith('List') && Array.isArray(obj.items)) {
    for (const item of obj.items) visitObject(item, add);
    return;
  }
  if (kind === 'CustomResourceDefinition') return;
  const name = isObj(obj.metadata) && typeof obj.metadata.name === 'string' ? obj.metadata.name : '?';
  const who = `${kind || '?'}/${name}`;
  const at = POD_SPEC_AT[kind];
  const podSpec = at ? dig(obj, at) : undefined;
  if (isObj(podSpec)) podImages(podSpec, who, add);
  else walkImageFields(obj, [], who, add);
}

const dig = (obj: Obj, path: string[]): unknown => path.reduce<unknown>((cur, k) => (isObj(cur) ? cur[k] : undefined), obj);

function podImages(spec: Obj, who: string, add: Add): void {
  for (const [list, word] of CONTAINER_LISTS) {
    const containers = Array.isArray(spec[list]) ? (spec[list] as unknown[]) : [];
    for (const c of containers) {
      if (!isObj(c)) continue;
      const where = `${who} ${word} ${typeof c.name === 'string' ? c.name : '?'}`;
      if (typeof c.image === 'string') add(c.image, where);
      for (const field of ['args', 'command'] as const) {
        const word1 = field === 'args' ? 'arg' : 'command';
        for (const a of Array.isArray(c[field]) ? (c[field] as unknown[]) : []) flagImage(a, `${where} ${word1}`, add);
      }
      for (const e of Array.isArray(c.env) ? (c.env as unknown[]) : [])
        if (isObj(e)) flagImage(e.value, `${where} env ${typeof e.name === 'string' ? e.name : '?'}`, add);
    }
  }
  // An image volume (core/v1 ImageVolumeSource): the kubelet pulls it like a container's image.
  for (const v of Array.isArray(spec.volumes) ? (spec.volumes as unknown[]) : []) {
    if (isObj(v) && isObj(v.image) && typeof v.image.reference === 'string')
      add(v.image.reference, `${who} volume ${typeof v.name === 'string' ? v.name : '?'}`);
  }
}

/** `--flag=REF` where REF is pullable: credited with the flag's name. */
function flagImage(value: unknown, where: string, add: Add): void {
  if (typeof value !== 'string') return;
  const m = /^(--?[A-Za-z0-9][A-Za-z0-9._-]*)=(.+)$/.exec(value.trim());
  if (m && isPullable(m[2] as string)) add(m[2] as string, `${where} ${m[1] as string}`);
}

/**
 * A reference a registry can serve, written in full: a registry host (with a `.` or a port, or `localhost`), a
 * repository, and a tag or digest. Never a URL (`://`) or a path; `foo/bar` alone could be either, so it is not taken.
 */
export function isPullable(text: string): boolean {
  if (text.includes('://') || /\s/.test(text)) return false;
  const slash = text.indexOf('/');
  if (slash <= 0) return false;
  const host = text.slice(0, slash);
  if (!(host.includes('.') || /:\d+$/.test(host) || host === 'localhost')) return false;
  const last = text.slice(text.lastIndexOf('/') + 1);
  if (!(last.includes(':') || text.includes('@'))) return false;
  try {
    parseReference(text);
    return true;
  } catch {
    return false;
  }
}

/** Any object not a workload: every `image` field that is a string, credited by its path (`spec.image`). */
function walkImageFields(node: unknown, path: string[], who: string, add: Add): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walkImageFields(item, [...path.slice(0, -1), `${path[path.length - 1] ?? ''}[${i}]`], who, add));
    return;
  }
  if (!isObj(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'image' && typeof v === 'string' && v !== '') add(v, `${who} ${[...path, k].join('.')}`);
    else if (typeof v === 'object' && v !== null) walkImageFields(v, [...path, k], who, add);
  }
}

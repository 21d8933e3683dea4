import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { FerryError } from '../core/errors.js';
import { formatReference, parseReference } from '../core/reference.js';
import { type RawManifest, manifestSchema } from './schema.js';
import type { BundleManifest, FileEntry, ImageEntry, PlatformSpec } from './types.js';

type Path = (string | number)[];

interface Problem {
  path: Path;
  message: string;
}

export async function loadManifest(path: string): Promise<BundleManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FerryError('MANIFEST_INVALID', `cannot read bundle manifest ${path}: ${(err as Error).message}`, { path });
  }
  return parseManifest(text, path);
}

/**
 * Parses and validates a manifest. Every problem is reported at once, each as `file:line:col: key.path: what`,
 * so a user fixes a manifest in one pass.
 */
export function parseManifest(text: string, path: string): BundleManifest {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return `${path}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`;
    });
    throw invalid(path, lines);
  }
  const parsed = manifestSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((i): Problem[] =>
      // Point at each unknown key itself rather than at the object holding it.
      i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ path: [...i.path, k], message: `unknown key "${k}"` })) : [{ path: i.path, message: i.message }],
    );
    throw invalid(path, issues.map((p) => locate(doc, lc, path, p)));
  }
  const problems: Problem[] = [];
  const manifest = normalise(parsed.data, path, problems);
  if (problems.length > 0) throw invalid(path, problems.map((p) => locate(doc, lc, path, p)));
  return manifest;
}

function normalise(raw: RawManifest, path: string, problems: Problem[]): BundleManifest {
  const platforms = platformSpec(raw.spec.platforms) ?? ['linux/amd64'];
  const images: ImageEntry[] = [];
  const seenRefs = new Map<string, number>();
  (raw.spec.images ?? []).forEach((item, i) => {
    const input = typeof item === 'string' ? item : item.ref;
    const at: Path = typeof item === 'string' ? ['spec', 'images', i] : ['spec', 'images', i, 'ref'];
    let ref: string;
    try {
      ref = formatReference(parseReference(input));
    } catch (err) {
      problems.push({ path: at, message: (err as Error).message });
      return;
    }
    const first = seenRefs.get(ref);
    if (first !== undefined) problems.push({ path: at, message: `duplicate image ${ref} (also spec.images.${first})` });
    seenRefs.set(ref, i);
    const own = typeof item === 'string' ? undefined : platformSpec(item.platforms);
    images.push({ ref, platforms: own ?? platforms });
  });

  const files: FileEntry[] = [];
  const seenNames = new Map<string, number>();
  (raw.spec.files ?? []).forEach((f, i) => {
    const name = f.name ?? decodeURIComponent(new URL(f.url).pathname.split('/').pop() ?? '');
    const why = unsafeName(name);
    if (why) {
      problems.push({ path: ['spec', 'files', i, f.name !== undefined ? 'name' : 'url'], message: `file name "${name}" ${why}` });
      return;
    }
    const first = seenNames.get(name);
    if (first !== undefined) problems.push({ path: ['spec', 'files', i], message: `duplicate file name ${name} (also spec.files.${first})` });
    seenNames.set(name, i);
    files.push({ url: f.url, name, ...(f.sha256 ? { sha256: f.sha256.toLowerCase() } : {}), ...(f.checksums ? { checksums: f.checksums } : {}) });
  });
  return { path, name: raw.metadata.name, platforms, images, files };
}

function platformSpec(p: 'all' | string[] | undefined): PlatformSpec | undefined {
  if (p === undefined) return undefined;
  if (p === 'all' || p.includes('all')) return 'all';
  return [...new Set(p)];
}

/** A name staged as DIR/files/<name> must stay inside that directory. */
function unsafeName(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'is empty or a directory name; set name:';
  if (name.includes('/') || name.includes('\\') || name.includes('\0')) return 'must not contain / \\ or NUL';
  if (Buffer.byteLength(name) > 255) return 'is longer than 255 bytes';
  return undefined;
}

/** Finds where a problem sits in the YAML; a missing key is reported at its parent. */
function locate(doc: Document, lc: LineCounter, file: string, p: Problem): string {
  const key = p.path.length > 0 ? p.path.join('.') : '(document)';
  for (let n = p.path.length; n >= 0; n--) {
    const node = doc.getIn(p.path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const pos = lc.linePos(node.range[0]);
      return `${file}:${pos.line}:${pos.col}: ${key}: ${p.message}`;
    }
  }
  return `${file}:1:1: ${key}: ${p.message}`;
}

function invalid(path: string, lines: string[]): FerryError {
  return new FerryError('MANIFEST_INVALID', `invalid bundle manifest ${path}:\n  ${lines.join('\n  ')}`, { path, problems: lines });
}

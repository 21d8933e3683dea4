import type { BundleReader } from '../bundle/reader.js';
import { LOCK_FILE } from '../bundle/format.js';
import { FerryError } from '../core/errors.js';
import { Annotation, type Descriptor, isIndexType, isManifestType } from '../core/media-types.js';
import { parseLock } from '../lock/lock-file.js';
import type { Lock } from '../lock/types.js';
import { checkLockValues } from './gate-lock.js';
import type { GateProblem } from './gate-check.js';
import { checkIndexAgainstLock } from './gate-index.js';
import { escapeText, quoteUntrusted, terminalSafe } from './untrusted-text.js';

export type { GateProblem } from './gate-check.js';

/** How many refused values an error message lists (all of them are in its details). */
const SHOWN = 5;

/**
 * The validation gate (docs/security.md "What is validated"): before stage, push, serve, inspect or audit act on a
 * bundle, every name, path, architecture, suite, component, ref name, title, version, media type and annotation
 * they will use is checked against its grammar (src/validate/grammar.ts) and against the lock (a title must equal
 * the lock's name for that artifact; a chart's name and version its locked entry). SHA256SUMS proves only that a
 * bundle is self-consistent, which anyone can make it; the gate makes sure a self-consistent but hostile bundle
 * cannot steer a path, a repository name or a line of a generated file. Returns the parsed lock; throws an
 * UNSAFE_VALUE error (exit code 3) naming each artifact and its offending value, escaped.
 */
export async function gateBundle(reader: BundleReader): Promise<Lock> {
  const problems: GateProblem[] = [];
  const report = (p: GateProblem) => problems.push(p);
  let lock: Lock;
  try {
    lock = parseLock((await reader.lockBytes()).toString('utf8'), LOCK_FILE);
  } catch (err) {
    throw new FerryError(
      'UNSAFE_VALUE',
      `${reader.path}: ${terminalSafe((err as Error).message).replace(/\n\s*/g, '; ')}: the bundle's lock is unreadable, so nothing in it can be checked; nothing was done`,
      { bundle: reader.path },
      { cause: err },
    );
  }
  checkLockValues(lock, report);
  if (reader.meta.name !== lock.bundle.name) {
    report({
      artifact: 'bundle',
      field: 'ferry-bundle.json name',
      value: reader.meta.name,
      why: `is not the lock's bundle name ${quoteUntrusted(lock.bundle.name)}`,
    });
  }
  for (const d of reader.index().manifests as unknown[]) checkDescriptor(d as Descriptor, report);
  if (problems.length === 0) await checkIndexAgainstLock(reader, lock, report);
  if (problems.length > 0) throw gateError(reader.path, problems);
  return lock;
}

/** Shape, media type and annotations of one index.json entry, whatever its kind. */
function checkDescriptor(d: Descriptor, report: (p: GateProblem) => void): void {
  if (d === null || typeof d !== 'object') {
    report({ artifact: 'index.json', field: 'manifests[]', value: String(d), why: 'is not a descriptor' });
    return;
  }
  const a = d.annotations ?? {};
  const what = `index.json entry ${typeof a[Annotation.RefName] === 'string' ? a[Annotation.RefName] : String(d.digest)}`;
  if (typeof d.mediaType !== 'string' || !(isManifestType(d.mediaType) || isIndexType(d.mediaType))) {
    report({ artifact: what, field: 'mediaType', value: d.mediaType, why: 'is not an OCI or Docker manifest or index media type' });
  }
  if (typeof d.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.digest))
    report({ artifact: what, field: 'digest', value: d.digest, why: 'is not a sha256 digest' });
  if (!Number.isSafeInteger(d.size) || d.size < 0) report({ artifact: what, field: 'size', value: d.size, why: 'is not a size' });
  if (typeof a !== 'object' || Array.isArray(a)) {
    report({ artifact: what, field: 'annotations', value: String(a), why: 'is not an object' });
    return;
  }
  for (const [k, v] of Object.entries(a)) {
    if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(k))
      report({
        artifact: what,
        field: 'annotation key',
        value: k,
        why: 'is not an annotation key (reverse-domain, image-spec annotations.md)',
      });
    if (typeof v !== 'string') report({ artifact: what, field: k, value: String(v), why: 'is not a string' });
    else if (/[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u.test(v) || v.length > 4096)
      report({ artifact: what, field: k, value: v, why: 'contains a control character or is too long' });
  }
}

function gateError(bundle: string, problems: GateProblem[]): FerryError {
  const line = (p: GateProblem) =>
    `${escapeText(p.artifact)}: ${escapeText(p.field)} ${typeof p.value === 'string' ? quoteUntrusted(p.value) : escapeText(String(p.value))} ${p.why}`;
  const more = problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : '';
  return new FerryError(
    'UNSAFE_VALUE',
    `${bundle}: refused before anything was done: ${problems.slice(0, SHOWN).map(line).join('; ')}${more}. The bundle holds values ferry never writes: it was altered after it was made; get it again from its source (and sign bundles: verify --key)`,
    {
      bundle,
      problems: problems.map((p) => ({
        artifact: escapeText(p.artifact),
        field: escapeText(p.field),
        value: escapeText(String(p.value)),
        why: p.why,
      })),
    },
  );
}

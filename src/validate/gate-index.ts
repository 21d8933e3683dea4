import type { BundleReader } from '../bundle/reader.js';
import { parseMemberJson } from '../bundle/member-json.js';
import { blobPath } from '../bundle/format.js';
import { digestHex } from '../core/digest.js';
import { Annotation, type Descriptor, type ImageManifest } from '../core/media-types.js';
import { readVerified } from '../graph/copy.js';
import type { EntryGate, NamedFile } from '../kinds/facets/view.js';
import { KINDS, kindOfEntry, lockedOf } from '../kinds/index.js';
import type { Lock } from '../lock/types.js';
import { type Report, checker } from './gate-check.js';
import { plainTextProblem } from './grammar.js';
import { quoteUntrusted } from './untrusted-text.js';

/**
 * index.json against the lock: each entry's names must be exactly the ones the lock gives that artifact (a file's
 * title is the lock's file name, a chart's name and version its locked entry, a deb's title its locked pool file),
 * and the artifact manifests behind them must say the same (the layer title stage writes the file under, the chart
 * config's name and version stage names the .tgz after). Manifests are read through their digests. Each kind checks
 * its own entries (its view facet's gate); an entry of no known kind is refused here.
 */
export async function checkIndexAgainstLock(reader: BundleReader, lock: Lock, report: Report): Promise<void> {
  const known = KINDS.flatMap((k) => k.entryKinds);
  const seen = new Set<string>();
  const once = (artifact: string, key: string) => {
    if (seen.has(key)) report({ artifact, field: 'index.json', value: key, why: 'appears twice' });
    seen.add(key);
  };
  const g: EntryGate = {
    reader,
    report,
    check: checker(report),
    mismatch: (artifact, field, value, expected) =>
      report({ artifact, field, value, why: `is not what the lock says (${quoteUntrusted(expected)})` }),
    manifestOf: (d, what) => manifestOf(reader, d, what, report),
    jsonOf: (d, what, parse) => jsonOf(reader, d, what, report, parse),
    namedFile: (d, file) => checkNamedFile(g, d, file),
  };
  const gates = new Map(KINDS.map((k) => [k.kind, k.gate(lockedOf(lock, k) as never, g)]));

  for (const d of reader.index().manifests) {
    const a = d.annotations ?? {};
    const kind = a[Annotation.Kind] ?? '';
    const ref = a[Annotation.RefName] ?? '';
    const owner = kindOfEntry(d);
    if (!owner) {
      report({
        artifact: `index.json entry ${ref || d.digest}`,
        field: Annotation.Kind,
        value: kind,
        why: `is not one of ${known.join(', ')}`,
      });
      continue;
    }
    once(`${kind} ${ref}`, `${kind} ${ref}`);
    await gates.get(owner.kind)!(d);
  }
}

/** An entry that is one file artifact named in the lock: its ref name, layer title and digest, and annotations. */
async function checkNamedFile(g: EntryGate, d: Descriptor, file: NamedFile): Promise<void> {
  const a = d.annotations ?? {};
  const kind = a[Annotation.Kind] ?? '';
  const title = a[Annotation.Title] ?? '';
  const what = `${kind} ${title}`;
  if (file.sha256 === undefined) {
    g.report({ artifact: what, field: Annotation.Title, value: title, why: `is not the name of a ${file.noun} in the lock` });
    return;
  }
  const expectedRef = `${kind}/${title}`;
  if (a[Annotation.RefName] !== expectedRef) g.mismatch(what, Annotation.RefName, a[Annotation.RefName] ?? '', expectedRef);
  file.before?.(what);
  const m = await g.manifestOf(d, what);
  if (!m) return;
  const layer = m.layers[0];
  const lt = layer?.annotations?.[Annotation.Title];
  if (lt !== title) g.mismatch(what, `layer ${Annotation.Title}`, lt, title);
  if (layer?.digest !== `sha256:${file.sha256}`) g.mismatch(what, 'layer digest', layer?.digest, `sha256:${file.sha256}`);
  for (const v of Object.values(m.annotations ?? {})) g.check(what, 'manifest annotation', v, plainTextProblem);
  await file.after?.(m, what);
}

/** A JSON blob read through its digest; an unparseable one is reported (an integrity failure), never thrown raw. */
async function jsonOf<T>(
  reader: BundleReader,
  d: Descriptor,
  what: string,
  report: Report,
  parse: (v: unknown) => T = (v) => v as T,
): Promise<T | undefined> {
  const body = await readVerified(reader, d, what);
  try {
    return parse(parseMemberJson(body, blobPath(digestHex(d.digest))));
  } catch (err) {
    report({ artifact: what, field: d.digest, value: '', why: `is not readable: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
}

/** An artifact manifest; undefined when the bundle does not hold it (left out of a delta; verify names it missing). */
async function manifestOf(reader: BundleReader, d: Descriptor, what: string, report: Report): Promise<ImageManifest | undefined> {
  if (!reader.hasBlob(d.digest)) return undefined;
  const m = await jsonOf<ImageManifest>(reader, d, what, report);
  if (m && !Array.isArray(m.layers))
    report({ artifact: what, field: 'layers', value: String(m.layers), why: 'is not a list of descriptors' });
  return m && Array.isArray(m.layers) ? m : ({ layers: [] } as unknown as ImageManifest);
}

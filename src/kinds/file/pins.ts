import { fileRefName } from '../../bundle/format.js';
import { Annotation } from '../../core/media-types.js';
import type { LockedFile } from './schema.js';
import type { Pin, PinsFacet } from '../facets/pins.js';

/** The file kind's pins facet (kinds/kind.ts): each file's content, layer 0 of its artifact. */
export const filePins: PinsFacet<LockedFile> = {
  pinNoun: 'file',
  pinEntryKind: 'file',
  pinAnnotation: Annotation.Title,
  reportOrder: 3,
  pins: (f) => [lockedFilePin(f, `file ${f.name}`, fileRefName(f.name))],
};

/** The pin of a downloaded file (a file, or an RKE2 release file): its sha256, vouched for as the lock records. */
export function lockedFilePin(f: LockedFile, label: string, refName: string): Pin {
  return {
    label,
    entryName: f.name,
    refName,
    name: f.name,
    digest: `sha256:${f.sha256}`,
    isRoot: false,
    ...(f.size !== undefined ? { size: f.size } : {}),
    source: f.url,
    vouchedBy: fileVouch(f),
    vouch: f.vouchedBy,
  };
}

function fileVouch(f: LockedFile): string {
  const v = f.vouchedBy;
  if (v.kind === 'inline') return 'sha256 pinned in the bundle manifest';
  if (v.kind === 'first-fetch') return 'no upstream checksum: sha256 recorded at the first download (HTTPS)';
  return `${v.url} line ${v.line} (list sha256 ${v.sha256})`;
}

import type { StagedFile } from '../../bundle/copy-out.js';
import { readMemberJson } from '../../bundle/member-json.js';
import { Annotation, type ImageManifest } from '../../core/media-types.js';
import { formatBytes, plural } from '../../core/units.js';
import type { LockedFile } from './schema.js';
import type { StageStep, ViewFacet } from '../facets/view.js';
import { fileComponents } from './components.js';

const stage = {
  dir: 'files',
  order: 1,
  items: ['file'],
  noun: 'files',
  always: true,
  run: (reader, ctx) => import('./stage-files.js').then((m) => m.stageFiles(reader, ctx)),
  lines: (files, root) =>
    files.length > 0
      ? [`staged ${plural(files.length, 'file')} in ${root}/files`, ...files.map((f) => `  ${f.name} ${formatBytes(f.size)}`)]
      : [],
} satisfies StageStep<StagedFile[]>;

/** The file kind's view facet (kinds/kind.ts). */
export const fileView = {
  async describe(reader, desc, base) {
    const m = await readMemberJson<ImageManifest>(reader, desc, desc.digest);
    const source = m.annotations?.[Annotation.Source] ? { source: m.annotations[Annotation.Source] } : {};
    return { kind: 'file', name: desc.annotations?.[Annotation.Title] ?? '', ...base, ...source };
  },
  countOrder: 2,
  count: (locked) => ({ files: locked.length }),
  countWords: (c) => (c.files > 0 ? { files: plural(c.files, 'file') } : {}),
  gate(locked, g) {
    const files = new Map(locked.map((f) => [f.name, f]));
    return (d) => g.namedFile(d, { noun: 'file', sha256: files.get(d.annotations?.[Annotation.Title] ?? '')?.sha256 });
  },
  stage,
  components: fileComponents,
} satisfies ViewFacet<LockedFile>;

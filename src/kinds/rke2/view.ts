import { readMemberJson } from '../../bundle/member-json.js';
import { Annotation, type ImageManifest } from '../../core/media-types.js';
import { formatBytes } from '../../core/units.js';
import { IMAGE_TOC_MEDIA_TYPE, parseArchiveToc } from '../../docker-archive/image-toc.js';
import { readVerified } from '../../graph/copy.js';
import type { LockedRke2 } from './schema.js';
import { imageRefProblem } from '../../validate/gate-check.js';
import type { StageStep, ViewFacet } from '../facets/view.js';
import type { StagedRke2 } from './stage-rke2.js';
import { rke2Components } from './components.js';

const stage = {
  dir: 'rke2',
  order: 2,
  items: ['rke2'],
  noun: 'RKE2 release',
  run: (reader, ctx) => import('./stage-rke2.js').then((m) => m.stageRke2(reader, ctx.root, ctx.events, ctx.registry)),
  lines: (r) => [
    `staged RKE2 ${r.version} in ${r.dir} (${rke2Files(r.files.length)}); node steps in ${r.dir}/README.md`,
    ...r.files.map((f) => `  ${f.role === 'image-list' ? 'image-lists/' : ''}${f.name} ${formatBytes(f.size)}`),
    r.registriesYaml
      ? `  registries.yaml, config.toml.tmpl: mirrors for ${r.upstreams.join(', ')}`
      : '  no registries.yaml (give --registry HOST:PORT to have one)',
  ],
} satisfies StageStep<StagedRke2>;

/** The RKE2 kind's view facet (kinds/kind.ts): one file entry per release file. */
export const rke2View = {
  async describe(reader, desc, base) {
    const a = desc.annotations ?? {};
    const m = await readMemberJson<ImageManifest>(reader, desc, desc.digest);
    const source = m.annotations?.[Annotation.Source] ? { source: m.annotations[Annotation.Source] } : {};
    const toc =
      m.layers[1]?.mediaType === IMAGE_TOC_MEDIA_TYPE
        ? parseArchiveToc(await readVerified(reader, m.layers[1], `${desc.digest} table of contents`))
        : undefined;
    return {
      kind: 'rke2',
      name: a[Annotation.Title] ?? '',
      ...base,
      ...source,
      role: a[Annotation.Rke2Role] ?? '',
      ...(toc ? { images: toc.images.flatMap((i) => i.refs) } : {}),
    };
  },
  // The release's files, its image tarballs among them.
  countOrder: 3,
  count: (locked) => ({ rke2Files: locked[0]?.files.length ?? 0 }),
  countWords: (c) => (c.rke2Files > 0 ? { rke2Files: rke2Files(c.rke2Files) } : {}),
  gate([rke2], g) {
    const files = new Map((rke2?.files ?? []).map((f) => [f.name, f]));
    return (d) => {
      const a = d.annotations ?? {};
      const f = files.get(a[Annotation.Title] ?? '');
      return g.namedFile(d, {
        noun: 'RKE2 file',
        sha256: f?.sha256,
        before(what) {
          if (!rke2) return;
          if (a[Annotation.Rke2Role] !== f?.role) g.mismatch(what, Annotation.Rke2Role, a[Annotation.Rke2Role], f?.role ?? '');
          if (a[Annotation.Rke2Version] !== undefined && a[Annotation.Rke2Version] !== rke2.version)
            g.mismatch(what, Annotation.Rke2Version, a[Annotation.Rke2Version], rke2.version);
          if (a[Annotation.Rke2ImageSet] !== undefined && a[Annotation.Rke2ImageSet] !== f?.imageSet)
            g.mismatch(what, Annotation.Rke2ImageSet, a[Annotation.Rke2ImageSet], f?.imageSet ?? '');
        },
        async after(m, what) {
          const toc = m.layers[1];
          if (toc?.mediaType !== IMAGE_TOC_MEDIA_TYPE || !g.reader.hasBlob(toc.digest)) return;
          const parsed = await g.jsonOf(toc, `${what} table of contents`, (v) => parseArchiveToc(Buffer.from(JSON.stringify(v))));
          for (const img of parsed?.images ?? []) {
            for (const r of img.refs) g.check(what, 'image in the tarball', r, imageRefProblem);
          }
        },
      });
    };
  },
  stage,
  components: rke2Components,
} satisfies ViewFacet<LockedRke2>;

function rke2Files(n: number): string {
  return `${n} RKE2 file${n === 1 ? '' : 's'}`;
}

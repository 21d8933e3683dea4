import { readMemberJson } from '../../bundle/member-json.js';
import { Annotation, type ImageManifest } from '../../core/media-types.js';
import { formatBytes } from '../../core/units.js';
import type { LockedFerry } from './schema.js';
import type { StageStep, ViewFacet } from '../facets/view.js';
import type { StagedFerry } from './stage-ferry.js';
import { ferryComponents } from './components.js';

const stage = {
  dir: 'ferry',
  // Last: ferry's own executable comes after the artifacts it carries to the nodes.
  order: 5,
  items: ['ferry'],
  // The "nothing to stage" line has never named it (it lists what the nodes consume).
  run: (reader, ctx) => import('./stage-ferry.js').then((m) => m.stageFerry(reader, ctx.root, ctx.events, ctx.signal)),
  lines: (f) => [
    `staged ferry ${f.version} in ${f.dir} (check with: cd ${f.dir} && sha256sum -c SHA256SUMS)`,
    `  ${f.executable.name} ${formatBytes(f.executable.size)}`,
    ...(f.sbom ? [`  ${f.sbom.name}`] : []),
  ],
} satisfies StageStep<StagedFerry>;

/** The ferry kind's view facet (kinds/kind.ts). */
export const ferryView = {
  async describe(reader, desc, base) {
    const a = desc.annotations ?? {};
    const m = await readMemberJson<ImageManifest>(reader, desc, desc.digest);
    const exe = m.layers[0]?.digest ?? '';
    return {
      kind: 'ferry',
      name: a[Annotation.Title] ?? '',
      version: a[Annotation.FerryVersion] ?? '',
      ...base,
      sha256: exe,
      source: m.annotations?.[Annotation.Source] ?? '',
    };
  },
  countOrder: 5,
  count: (locked) => (locked[0] ? { ferry: locked[0].version } : {}),
  countWords: (c) => (c.ferry !== undefined ? { ferry: `ferry ${c.ferry}` } : {}),
  gate:
    ([ferry], g) =>
    (d) =>
      g.namedFile(d, {
        noun: 'ferry executable',
        sha256: ferry?.name === (d.annotations?.[Annotation.Title] ?? '') ? ferry.sha256 : undefined,
        // Stage writes ferry's SBOM under its layer title: it must be the name the lock gives it.
        async after(m, what) {
          const sbomTitle = m.layers[1]?.annotations?.[Annotation.Title];
          if (m.layers[1] && sbomTitle !== ferry?.sbom?.name)
            g.mismatch(what, `SBOM layer ${Annotation.Title}`, sbomTitle, ferry?.sbom?.name ?? '(no SBOM)');
        },
      }),
  stage,
  components: ferryComponents,
} satisfies ViewFacet<LockedFerry>;

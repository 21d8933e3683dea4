import { Annotation } from '../../core/media-types.js';
import { plural } from '../../core/units.js';
import type { LockedAptSource } from './schema.js';
import type { StageStep, ViewFacet } from '../facets/view.js';
import { gateApt } from './gate-index.js';
import type { StagedApt } from './stage-apt.js';
import { aptComponents } from './components.js';

const stage = {
  dir: 'apt',
  order: 4,
  // The debs; the apt-meta entries (Packages, Release, keyring) are read to build the repository, not copied out.
  items: ['apt'],
  noun: 'apt packages',
  // Imported when staging: signing the repository brings openpgp.
  run: (reader, ctx, locked) => import('./stage-apt.js').then((m) => m.stageApt(reader, locked, ctx.root, ctx.events, ctx.aptSignKey)),
  lines: (r) => [
    `staged an apt repository in ${r.dir} (${plural(r.debs.length, 'apt package')}, ${r.signedBy ? `signed by ${r.signedBy}` : 'unsigned: see its README'})`,
  ],
} satisfies StageStep<StagedApt, LockedAptSource>;

/** The apt kind's view facet (kinds/kind.ts): a deb entry per package, an apt-meta entry per source. */
export const aptView = {
  async describe(_reader, desc, base) {
    const a = desc.annotations ?? {};
    if (a[Annotation.Kind] === 'apt-meta') return { kind: 'apt-meta', name: a[Annotation.Source] ?? '', ...base };
    return { kind: 'apt', name: a[Annotation.Title] ?? '', ...base };
  },
  // The .debs of the dependency closure.
  countOrder: 4,
  count: (locked) => ({ aptPackages: locked.reduce((n, a) => n + a.debs.length, 0) }),
  countWords: (c) => (c.aptPackages > 0 ? { aptPackages: plural(c.aptPackages, 'apt package') } : {}),
  gate: gateApt,
  stage,
  components: aptComponents,
} satisfies ViewFacet<LockedAptSource>;

import { Annotation } from '../../core/media-types.js';
import { plural } from '../../core/units.js';
import type { LockedChart } from './schema.js';
import type { StageStep, ViewFacet } from '../facets/view.js';
import { gateChart } from './gate-index.js';
import type { StagedCharts } from './stage-charts.js';

const stage = {
  dir: 'charts',
  order: 3,
  items: ['chart'],
  noun: 'charts',
  run: (reader, ctx) => import('./stage-charts.js').then((m) => m.stageCharts(reader, ctx.root, ctx.events)),
  lines: (c) => [
    `staged a chart repository in ${c.dir} (index.yaml and ${plural(c.charts.length, 'chart')})`,
    ...c.charts.map((f) => `  ${f.name}`),
  ],
} satisfies StageStep<StagedCharts>;

/** The chart kind's view facet (kinds/kind.ts). */
export const chartView = {
  async describe(_reader, desc, base) {
    const a = desc.annotations ?? {};
    return { kind: 'chart', name: a[Annotation.Title] ?? '', version: a[Annotation.ChartVersion] ?? '', ...base };
  },
  countOrder: 1,
  count: (locked) => ({ charts: locked.length }),
  countWords: (c) => (c.charts > 0 ? { charts: plural(c.charts, 'chart') } : {}),
  gate: gateChart,
  stage,
} satisfies ViewFacet<LockedChart>;

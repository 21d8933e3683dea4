import { readMemberJson } from '../../bundle/member-json.js';
import type { BundleReader } from '../../bundle/reader.js';
import { Annotation, type ImageManifest } from '../../core/media-types.js';
import { plural } from '../../core/units.js';
import { HelmMediaType } from './helm-artifact.js';
import { chartPins } from './pins.js';
import { type LockedChart, lockedChart } from './schema.js';
import type { StageStep, ViewFacet } from '../facets/view.js';
import { gateChart } from './gate-index.js';
import type { StagedCharts } from './stage-charts.js';
import { chartComponents } from './components.js';

const stage = {
  dir: 'charts',
  order: 3,
  items: ['chart'],
  noun: 'charts',
  run: (reader, ctx) => import('./stage-charts.js').then((m) => m.stageCharts(reader, ctx.root, ctx.events)),
  lines: (c) => [
    `staged a chart repository in ${c.dir} (index.yaml and ${plural(c.charts.length, 'chart')}${c.provenance.length ? `, ${c.provenance.length} with a .prov` : ''})`,
    ...c.charts.map((f) => `  ${f.name}`),
    ...c.provenance.map((f) => `  ${f.name}`),
  ],
} satisfies StageStep<StagedCharts>;

/** The chart kind's view facet (kinds/kind.ts). */
export const chartView = {
  async describe(reader, desc, base) {
    const a = desc.annotations ?? {};
    const name = a[Annotation.Title] ?? '';
    const version = a[Annotation.ChartVersion] ?? '';
    // The .tgz is the artifact's content layer: its digest is the sha256 the chart's repository vouched for (the
    // gate has checked it against the lock), which is what a user compares with index.yaml or `helm pull`.
    const m = await readMemberJson<ImageManifest>(reader, desc, desc.digest);
    const tgz = m.layers.find((l) => l.mediaType === HelmMediaType.Content || l.mediaType === HelmMediaType.LegacyContent);
    const prov = m.layers.find((l) => l.mediaType === HelmMediaType.Provenance);
    const pin = (await lockedCharts(reader)).find((c) => c.name === name && c.version === version);
    const vouch = pin ? chartPins.pins(pin)[0] : undefined;
    return {
      kind: 'chart',
      name,
      version,
      ...base,
      ...(tgz ? { tgzSha256: tgz.digest } : {}),
      ...(vouch ? { source: vouch.source, vouchedBy: vouch.vouchedBy } : {}),
      ...(vouch?.provenance ? { provenance: vouch.provenance } : {}),
      ...(prov ? { provSha256: prov.digest } : {}),
    };
  },
  inspectLines: (a) => [
    ...(typeof a.tgzSha256 === 'string'
      ? [`.tgz ${a.tgzSha256}${typeof a.vouchedBy === 'string' ? `, vouched for by the ${a.vouchedBy}` : ''}`]
      : []),
    ...(typeof a.provenance === 'string' ? [`${a.provenance}${typeof a.provSha256 === 'string' ? ` (.prov ${a.provSha256})` : ''}`] : []),
  ],
  countOrder: 1,
  count: (locked) => ({ charts: locked.length }),
  countWords: (c) => (c.charts > 0 ? { charts: plural(c.charts, 'chart') } : {}),
  gate: gateChart,
  stage,
  components: chartComponents,
} satisfies ViewFacet<LockedChart>;

/** The bundle lock's charts (inspect reads a few; the lock is small). Entries the schema refuses are left out. */
async function lockedCharts(reader: BundleReader): Promise<LockedChart[]> {
  const lock = JSON.parse((await reader.lockBytes()).toString('utf8')) as { charts?: unknown };
  return (Array.isArray(lock.charts) ? lock.charts : []).flatMap((c) => {
    const parsed = lockedChart.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
}

import { chartRefName } from '../../bundle/format.js';
import { Annotation, type Descriptor } from '../../core/media-types.js';
import { HelmMediaType } from './helm-artifact.js';
import type { LockedChart } from './schema.js';
import type { EntryGate } from '../facets/view.js';

/** A chart entry: its ref name a chart of the lock, its title, version, layer and Chart.yaml that chart's. */
export function gateChart(locked: readonly LockedChart[], g: EntryGate): (d: Descriptor) => Promise<void> {
  const charts = new Map(locked.map((c) => [chartRefName(c.name, c.version), c]));
  return async (d) => {
    const a = d.annotations ?? {};
    const ref = a[Annotation.RefName] ?? '';
    const title = a[Annotation.Title] ?? '';
    const c = charts.get(ref);
    if (!c) {
      g.report({ artifact: `chart ${ref}`, field: Annotation.RefName, value: ref, why: 'is not a chart of the lock' });
      return;
    }
    const what = `chart ${c.name} ${c.version}`;
    if (title !== c.name) g.mismatch(what, Annotation.Title, title, c.name);
    if (a[Annotation.ChartVersion] !== c.version) g.mismatch(what, Annotation.ChartVersion, a[Annotation.ChartVersion], c.version);
    const m = await g.manifestOf(d, what);
    if (!m) return;
    const layer = m.layers[0];
    if (layer?.digest !== `sha256:${c.sha256}`) g.mismatch(what, 'layer digest', layer?.digest, `sha256:${c.sha256}`);
    const lt = layer?.annotations?.[Annotation.Title];
    if (lt !== undefined && lt !== c.name) g.mismatch(what, `layer ${Annotation.Title}`, lt, c.name);
    // A signed chart's .prov is the second layer, the one the lock records (stage writes it beside the .tgz).
    const prov = m.layers.find((l) => l.mediaType === HelmMediaType.Provenance);
    const want = c.provenance ? `sha256:${c.provenance.sha256}` : undefined;
    if (prov?.digest !== want) g.mismatch(what, 'provenance layer digest', prov?.digest ?? 'none', want ?? 'none');
    // Stage names the .tgz after Chart.yaml (carried as the config): it must be the locked chart too.
    if (!m.config || !g.reader.hasBlob(m.config.digest)) return;
    const meta = await g.jsonOf<{ name?: unknown; version?: unknown }>(m.config, `${what} config`);
    if (meta && meta.name !== c.name) g.mismatch(what, 'Chart.yaml name', meta.name, c.name);
    if (meta && meta.version !== c.version) g.mismatch(what, 'Chart.yaml version', meta.version, c.version);
  };
}

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BundleReader } from '../../bundle/reader.js';
import type { EventSink } from '../../core/events.js';
import { Annotation, type ImageManifest } from '../../core/media-types.js';
import type { ChartMeta } from './chart-archive.js';
import { HelmMediaType } from './helm-artifact.js';
import { type StagedFile, copyLayerOut } from '../../bundle/copy-out.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { readMemberJson } from '../../bundle/member-json.js';
import { FerryError } from '../../core/errors.js';
import { chartNameProblem, chartVersionProblem } from '../../validate/grammar.js';
import { safeJoin } from '../../validate/safe-join.js';
import { quoteUntrusted } from '../../validate/untrusted-text.js';

export interface StagedCharts {
  dir: string;
  charts: StagedFile[];
  /** The signed charts' `.tgz.prov` files. */
  provenance: StagedFile[];
}

/**
 * `DIR/charts/`: a classic chart repository (helm pkg/repo/v1): each chart's `.tgz` as upstream published it (and
 * its `.tgz.prov` when it is signed), and
 * an `index.yaml` whose entries carry the Chart.yaml metadata, the `.tgz`'s sha256 as `digest` and a relative URL,
 * so any static web server can serve it to `helm repo add`.
 */
export async function stageCharts(reader: BundleReader, root: string, events: EventSink): Promise<StagedCharts | undefined> {
  const entries = reader.index().manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'chart');
  if (entries.length === 0) return undefined;
  const dir = join(root, 'charts');
  await fs.mkdir(dir, { recursive: true });
  const charts: StagedFile[] = [];
  const provenance: StagedFile[] = [];
  // A Map, not an object: a chart named __proto__ must not reach Object.prototype (and is refused anyway).
  const index = new Map<string, unknown[]>();
  // Bundles carry no timestamp (they are deterministic); the index says when it was staged.
  const created = new Date().toISOString();
  for (const desc of entries) {
    const manifest = await readMemberJson<ImageManifest>(reader, desc, `chart ${desc.annotations?.[Annotation.RefName]}`);
    const meta = await readMemberJson<ChartMeta>(reader, manifest.config, `chart config ${manifest.config.digest}`);
    const why = chartNameProblem(meta.name) ?? chartVersionProblem(meta.version);
    if (why)
      throw new FerryError(
        'UNSAFE_VALUE',
        `chart ${quoteUntrusted(String(meta.name))} ${quoteUntrusted(String(meta.version))} in ${desc.digest}: ${why}: refused, nothing was written`,
        { digest: desc.digest },
      );
    const fileName = `${meta.name}-${meta.version}.tgz`;
    events({ type: 'artifact-start', kind: 'chart', name: fileName });
    const staged = await copyLayerOut(reader, desc, manifest, dir, events, fileName);
    charts.push(staged);
    // A signed chart's .prov goes beside its archive, where `helm pull --verify` looks for it (`<url>.prov`).
    const prov = manifest.layers.find((l) => l.mediaType === HelmMediaType.Provenance);
    if (prov) provenance.push(await copyLayerOut(reader, desc, { ...manifest, layers: [prov] }, dir, events, `${fileName}.prov`));
    const versions = index.get(meta.name) ?? [];
    index.set(meta.name, [...versions, { ...meta, digest: staged.sha256, urls: [fileName], created }]);
    events({ type: 'artifact-done', kind: 'chart', name: fileName, digest: `sha256:${staged.sha256}` });
  }
  const doc = { apiVersion: 'v1', entries: Object.fromEntries([...index.keys()].sort().map((k) => [k, index.get(k)])), generated: created };
  await writeFileAtomic(safeJoin(dir, 'index.yaml'), Buffer.from(stringify(doc, { lineWidth: 0 })));
  return { dir, charts, provenance };
}

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { BundleReader } from '../../bundle/reader.js';
import { readMemberJson } from '../../bundle/member-json.js';
import { FerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { ensureDir, fsError } from '../../core/fs-errors.js';
import { Annotation, type ImageManifest } from '../../core/media-types.js';
import { type StagedFile, copyLayerOut } from '../../bundle/copy-out.js';
import { writeFileAtomic } from '../../core/atomic-write.js';

export interface StagedFerry {
  dir: string;
  version: string;
  executable: StagedFile;
  sbom?: StagedFile;
}

/**
 * ferry's own executable to `DIR/ferry/<release name>` (mode 0755), its SBOM beside it, and a SHA256SUMS for both,
 * so `cd DIR/ferry && sha256sum -c SHA256SUMS` checks them on the node (docs/install.md "Carried in the bundle").
 * The names were gated against the lock before this runs; each file is verified as it is copied out.
 */
export async function stageFerry(
  reader: BundleReader,
  stageDir: string,
  events: EventSink,
  signal?: AbortSignal,
): Promise<StagedFerry | undefined> {
  const desc = reader.index().manifests.find((d) => d.annotations?.[Annotation.Kind] === 'ferry');
  if (!desc) return undefined;
  const name = desc.annotations?.[Annotation.Title] ?? desc.digest;
  events({ type: 'artifact-start', kind: 'ferry', name });
  const manifest = await readMemberJson<ImageManifest>(reader, desc, `ferry artifact ${desc.digest}`);
  if (manifest.layers.length < 1 || manifest.layers.length > 2)
    throw new FerryError('BUNDLE_INVALID', `ferry artifact ${desc.digest} must have one or two layers (the executable, its SBOM)`, {
      digest: desc.digest,
    });
  const dir = join(stageDir, 'ferry');
  await ensureDir(dir);
  const executable = await copyLayerOut(reader, desc, manifest, dir, events, undefined, signal);
  try {
    await fs.chmod(executable.path, 0o755);
  } catch (err) {
    throw fsError(err, executable.path, 'cannot make executable');
  }
  const sbomLayer = manifest.layers[1];
  const sbom = sbomLayer
    ? await copyLayerOut(reader, desc, { ...manifest, layers: [sbomLayer] }, dir, events, undefined, signal)
    : undefined;
  const sums = [executable, ...(sbom ? [sbom] : [])].map((f) => `${f.sha256}  ${f.name}\n`).join('');
  await writeFileAtomic(join(dir, 'SHA256SUMS'), Buffer.from(sums));
  events({ type: 'artifact-done', kind: 'ferry', name: executable.name, digest: `sha256:${executable.sha256}` });
  return { dir, version: manifest.annotations?.[Annotation.FerryVersion] ?? '', executable, ...(sbom ? { sbom } : {}) };
}

import { join } from 'node:path';
import { type StagedFile, copyLayerOut } from '../../bundle/copy-out.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { readMemberJson } from '../../bundle/member-json.js';
import type { BundleReader } from '../../bundle/reader.js';
import { FerryError } from '../../core/errors.js';
import { ensureDir } from '../../core/fs-errors.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../core/media-types.js';
import { oneLine } from '../../validate/untrusted-text.js';
import type { StageContext } from '../facets/view.js';

/**
 * Files land in `DIR/files/<name>` with a `DIR/files/SHA256SUMS` beside them (so `sha256sum -c` works on the node).
 * Each file is verified as it is copied out of the bundle and written under a temporary name first, so a damaged
 * bundle never leaves a wrong file behind. Sorted by name; empty (and nothing written) when the bundle has none.
 */
export async function stageFiles(reader: BundleReader, ctx: StageContext): Promise<StagedFile[]> {
  const { events, signal } = ctx;
  const files: StagedFile[] = [];
  const filesDir = join(ctx.root, 'files');
  const fileEntries = reader.index().manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'file');
  if (fileEntries.length > 0) await ensureDir(filesDir); // EROFS / EACCES named as such, not as ENOENT
  for (const desc of fileEntries) {
    events({ type: 'artifact-start', kind: 'file', name: desc.annotations?.[Annotation.Title] ?? desc.digest });
    signal?.throwIfAborted();
    const staged = await stageFile(reader, desc, filesDir, ctx);
    files.push(staged);
    events({ type: 'artifact-done', kind: 'file', name: staged.name, digest: `sha256:${staged.sha256}` });
  }
  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  if (fileEntries.length > 0) {
    // A name with a newline would add a line of its own to SHA256SUMS (and a backslash makes sha256sum unescape it).
    const sums = files.map((f) => `${f.sha256}  ${oneLine(f.name, 'file name')}\n`).join('');
    await writeFileAtomic(join(filesDir, 'SHA256SUMS'), Buffer.from(sums));
  }
  return files;
}

async function stageFile(reader: BundleReader, desc: Descriptor, filesDir: string, ctx: StageContext): Promise<StagedFile> {
  const manifest = await readMemberJson<ImageManifest>(reader, desc, `file artifact ${desc.digest}`);
  if (manifest.layers.length !== 1) {
    throw new FerryError('BUNDLE_INVALID', `file artifact ${desc.digest} must have one layer`, { digest: desc.digest });
  }
  return copyLayerOut(reader, desc, manifest, filesDir, ctx.events, undefined, ctx.signal);
}

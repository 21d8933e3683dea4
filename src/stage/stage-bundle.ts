import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VerifyingStream, digestHex } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { type EventSink, noEvents } from '../core/events.js';
import { Annotation, type Descriptor, type ImageManifest } from '../core/media-types.js';
import { counted } from '../core/streams.js';
import { BundleReader } from '../bundle/reader.js';
import { readVerified } from '../graph/copy.js';

export interface StageOptions {
  bundlePath: string;
  dir: string;
  events?: EventSink;
}

export interface StagedFile {
  name: string;
  path: string;
  sha256: string;
  size: number;
}

export interface StageResult {
  dir: string;
  files: StagedFile[];
}

/**
 * `ferry bundle stage`: put node artifacts where their consumers look. Files land in `DIR/files/<name>` with a
 * `DIR/files/SHA256SUMS` beside them (so `sha256sum -c` works on the node). Each file is verified as it is copied
 * out of the bundle and written under a temporary name first, so a damaged bundle never leaves a wrong file behind.
 */
export async function stageBundle(opts: StageOptions): Promise<StageResult> {
  const events = opts.events ?? noEvents;
  const reader = await BundleReader.open(opts.bundlePath);
  try {
    const filesDir = join(opts.dir, 'files');
    await fs.mkdir(filesDir, { recursive: true });
    const files: StagedFile[] = [];
    for (const desc of reader.index().manifests) {
      if (desc.annotations?.[Annotation.Kind] !== 'file') continue;
      events({ type: 'artifact-start', kind: 'file', name: desc.annotations?.[Annotation.Title] ?? desc.digest });
      const staged = await stageFile(reader, desc, filesDir, events);
      files.push(staged);
      events({ type: 'artifact-done', kind: 'file', name: staged.name, digest: `sha256:${staged.sha256}` });
    }
    files.sort((a, b) => (a.name < b.name ? -1 : 1));
    const sums = files.map((f) => `${f.sha256}  ${f.name}\n`).join('');
    await writeAtomic(join(filesDir, 'SHA256SUMS'), Buffer.from(sums));
    return { dir: opts.dir, files };
  } finally {
    await reader.close();
  }
}

async function stageFile(reader: BundleReader, desc: Descriptor, filesDir: string, events: EventSink): Promise<StagedFile> {
  const manifest = JSON.parse((await readVerified(reader, desc, `file artifact ${desc.digest}`)).toString('utf8')) as ImageManifest;
  const layer = manifest.layers[0];
  const name = layer?.annotations?.[Annotation.Title];
  if (!layer || manifest.layers.length !== 1 || !name || name.includes('/') || name === '.' || name === '..') {
    throw new FerryError('BUNDLE_INVALID', `file artifact ${desc.digest} must have one layer with a plain file name as its title`, {
      digest: desc.digest,
    });
  }
  const path = join(filesDir, name);
  const tmp = `${path}.partial-${randomBytes(4).toString('hex')}`;
  try {
    const verify = new VerifyingStream({ digest: layer.digest, size: layer.size, subject: `file ${name} in ${desc.digest}` });
    await pipeline(counted(await reader.fetch(layer), events), verify, createWriteStream(tmp));
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return { name, path, sha256: digestHex(layer.digest), size: layer.size };
}

async function writeAtomic(path: string, body: Buffer): Promise<void> {
  const tmp = `${path}.partial-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, body);
  await fs.rename(tmp, path);
}

import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { BundleReader } from './reader.js';
import { VerifyingStream, digestHex } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { writeAtomically } from '../core/atomic-write.js';
import type { EventSink } from '../core/events.js';
import { Annotation, type Descriptor, type ImageManifest } from '../core/media-types.js';
import { counted } from '../core/streams.js';
import { safeFileNameProblem } from '../validate/grammar.js';
import { safeJoin } from '../validate/safe-join.js';
import { quoteUntrusted } from '../validate/untrusted-text.js';

export interface StagedFile {
  name: string;
  path: string;
  sha256: string;
  size: number;
  /** RKE2 files: their role. */
  role?: string;
}

/**
 * Copies a file artifact's content (its first layer, titled with the file name) out of the bundle into `dir`,
 * verified as it is written, under a temporary name renamed into place: a damaged bundle never leaves a wrong file.
 */
export async function copyLayerOut(
  reader: BundleReader,
  desc: Descriptor,
  manifest: ImageManifest,
  dir: string,
  events: EventSink,
  fileName?: string,
  signal?: AbortSignal,
): Promise<StagedFile> {
  const layer = manifest.layers[0];
  const name = fileName ?? layer?.annotations?.[Annotation.Title];
  if (!layer || !name) {
    throw new FerryError('BUNDLE_INVALID', `file artifact ${desc.digest} must have a first layer with a plain file name as its title`, {
      digest: desc.digest,
    });
  }
  const why = safeFileNameProblem(name);
  if (why)
    throw new FerryError(
      'UNSAFE_VALUE',
      `file artifact ${desc.digest}: file name ${quoteUntrusted(name)} ${why}: refused, nothing was written`,
      { digest: desc.digest },
    );
  const path = safeJoin(dir, name);
  await writeAtomically(path, async (tmp) => {
    const verify = new VerifyingStream({ digest: layer.digest, size: layer.size, subject: `file ${name} in ${desc.digest}` });
    await pipeline(counted(await reader.fetch(layer), events), verify, createWriteStream(tmp), ...(signal ? [{ signal }] : []));
  });
  return { name, path, sha256: digestHex(layer.digest), size: layer.size };
}

import { type ByteSource, openFileSource } from './byte-source.js';
import { PartsByteSource, findPartsFile } from './parts.js';

/**
 * A bundle by any of its names: one file, or a split bundle given by its parts list, its first part, or the name the
 * unsplit bundle would have (docs/transfer.md).
 */
export async function openBundleSource(path: string): Promise<ByteSource> {
  const parts = await findPartsFile(path);
  return parts ? PartsByteSource.open(parts) : openFileSource(path);
}

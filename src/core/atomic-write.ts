import { promises as fs } from 'node:fs';
import { fsError } from './fs-errors.js';
import { partialPath, releasePartial } from './partial-files.js';

/**
 * Writes `body` under a temporary name beside `path` (core/partial-files.ts), then renames it over `path`: readers
 * never see half a file. Failures are FerryError IO_ERROR naming the path and errno (core/fs-errors.ts).
 */
export async function writeFileAtomic(path: string, body: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = partialPath(path);
  try {
    await fs.writeFile(tmp, body, { mode, flag: 'wx' });
    await fs.chmod(tmp, mode); // the umask may have narrowed the mode given at creation
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw fsError(err, path, 'cannot write');
  } finally {
    releasePartial(tmp);
  }
}

import { promises as fs } from 'node:fs';
import { fsError } from './fs-errors.js';
import { partialPath, releasePartial } from './partial-files.js';

/**
 * Runs `write` on a temporary name beside `path` (core/partial-files.ts), then renames it over `path`: readers never
 * see half a file, and a failed or interrupted write leaves nothing. Failures are FerryError IO_ERROR naming the path
 * and errno (core/fs-errors.ts).
 */
export async function writeAtomically(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = partialPath(path);
  try {
    await write(tmp);
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw fsError(err, path, 'cannot write');
  } finally {
    releasePartial(tmp);
  }
}

/** Writes `body` to `path` through writeAtomically, with `mode` whatever the umask. */
export async function writeFileAtomic(path: string, body: string | Buffer, mode = 0o644): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    await fs.writeFile(tmp, body, { mode, flag: 'wx' });
    await fs.chmod(tmp, mode); // the umask may have narrowed the mode given at creation
  });
}

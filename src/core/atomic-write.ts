import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';

/** Writes `body` under a temporary name beside `path`, then renames it over `path`: readers never see half a file. */
export async function writeFileAtomic(path: string, body: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = `${path}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await fs.writeFile(tmp, body, { mode });
    await fs.chmod(tmp, mode); // the umask may have narrowed the mode given at creation
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

import { FerryError } from './errors.js';
import { errnoOf, fsError } from './fs-errors.js';

/**
 * A file the user named as input (a bundle manifest, a bundle) that cannot be opened. One mapping for every such
 * file, so a missing manifest and a missing bundle say the same thing, with the same code and exit status:
 * NOT_FOUND "bundle manifest m.yaml does not exist"; any other errno is IO_ERROR with the path and errno (fs-errors.ts).
 */
export function inputFileError(err: unknown, path: string, what: string): FerryError {
  if (errnoOf(err) === 'ENOENT') {
    return new FerryError(
      'NOT_FOUND',
      `${what} ${path} does not exist: check the path (ENOENT)`,
      { path, errno: 'ENOENT' },
      { cause: err },
    );
  }
  return fsError(err, path, `cannot read ${what}`);
}

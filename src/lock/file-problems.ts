import { httpUrlProblem } from '../manifest/fields.js';
import { fileNameProblem } from '../manifest/file-name.js';
import type { VouchedBy } from './fields.js';

/**
 * What a list of downloaded files in the lock (lock.files, lock.rke2.files) must also be: names safe to stage and
 * not listed twice, http(s) URLs without credentials. `at` is the list's key path (`files`, `rke2.files`): each list
 * is staged in its own directory, so each has its own names.
 */
export function lockedFilesProblems(files: { name: string; url: string; vouchedBy: VouchedBy }[], at: string): string[] {
  const out: string[] = [];
  const names = new Set<string>();
  files.forEach((f, i) => {
    const here = `${at}.${i}`;
    const why = fileNameProblem(f.name);
    if (why) out.push(`${here}.name: file name ${JSON.stringify(f.name)} ${why}`);
    if (names.has(f.name)) out.push(`${here}.name: ${f.name} is listed twice`);
    names.add(f.name);
    const urlWhy = httpUrlProblem(f.url);
    if (urlWhy) out.push(`${here}.url: ${urlWhy}`);
    if (f.vouchedBy.kind === 'checksums') {
      const listWhy = httpUrlProblem(f.vouchedBy.url);
      if (listWhy) out.push(`${here}.vouchedBy.url: ${listWhy}`);
    }
  });
  return out;
}

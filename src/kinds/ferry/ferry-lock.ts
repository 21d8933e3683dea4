import { fileNameProblem } from '../../manifest/file-name.js';
import type { LockedFerry } from './schema.js';

/** `ferry-<version>-linux-<arch>`: the release name of the single executable (`npm run release`). */
export const FERRY_RELEASE_RE = /^ferry-([0-9][0-9A-Za-z.+~-]*)-linux-([a-z0-9_]+)$/;

/** The version and arch a release name carries, or undefined. */
export function parseFerryReleaseName(name: string): { version: string; arch: string } | undefined {
  const m = FERRY_RELEASE_RE.exec(name);
  return m ? { version: m[1] as string, arch: m[2] as string } : undefined;
}

/** What a lock's ferry entry must also be: staged names that are release names, and no path of the pulling machine. */
export function ferryLockProblems(f: LockedFerry): string[] {
  const out: string[] = [];
  if (!parseFerryReleaseName(f.name) || fileNameProblem(f.name))
    out.push(`ferry.name: ${JSON.stringify(f.name)} is not a release name ferry-<version>-linux-<arch>`);
  if (f.source.includes('/') || f.source.includes('\\'))
    out.push(`ferry.source: ${JSON.stringify(f.source)} must be a file name, not a path`);
  if (f.sbom && f.sbom.name !== `${f.name}.cdx.json`)
    out.push(`ferry.sbom.name: expected ${f.name}.cdx.json, not ${JSON.stringify(f.sbom.name)}`);
  return out;
}

import { FerryError } from '../../core/errors.js';
import type { ReleaseFile } from './release-file.js';

/** The index forms ferry reads, smallest first: apt too prefers xz, then gz, then the plain file (apt.conf(5), Acquire::CompressionTypes). */
const FORMS = ['Packages.xz', 'Packages.gz', 'Packages'] as const;

/** `main/binary-amd64/Packages.xz` → `main/binary-amd64/Packages`: the Release's entry for the uncompressed index. */
export function uncompressedPath(path: string): string {
  return path.replace(/\.(?:xz|gz)$/, '');
}

/** A bundle path or Release path naming a Packages index in a form ferry reads. */
export function isIndexPath(path: string): boolean {
  return /(?:^|\/)Packages(?:\.xz|\.gz)?$/.test(path);
}

export interface IndexChoice {
  path: string;
  sha256: string;
  size: number;
}

/**
 * The Packages indexes of `<component>/binary-<arch>` the signed Release lists, in the order ferry tries them. Fails
 * when it lists none: naming what it lists for that directory when it has some other form (`Packages.bz2`, …), and
 * keeping the component/architecture hint when it has no Packages there at all.
 */
export function indexChoices(release: ReleaseFile, dir: string, ctx: { suite: string; release: string }): IndexChoice[] {
  const found = FORMS.flatMap((f) => {
    const hit = release.sha256.get(`${dir}/${f}`);
    return hit ? [{ path: `${dir}/${f}`, ...hit }] : [];
  });
  if (found.length > 0) return found;
  const others = [...release.sha256.keys()].filter((p) => p.startsWith(`${dir}/Packages`));
  if (others.length === 0)
    throw new FerryError(
      'APT_RELEASE_INVALID',
      `${ctx.release} does not list ${dir}/Packages.gz (is the component or architecture right?)`,
      {
        release: ctx.release,
        path: `${dir}/Packages.gz`,
      },
    );
  throw new FerryError(
    'APT_RELEASE_INVALID',
    `suite ${ctx.suite}: ${ctx.release} lists ${others.join(', ')} but none of ${FORMS.map((f) => `${dir}/${f}`).join(', ')}, the index forms ferry reads`,
    { release: ctx.release, path: FORMS.map((f) => `${dir}/${f}`), listed: others },
  );
}

/** Where apt fetches an index of a Release with `Acquire-By-Hash: yes`: `<dir>/by-hash/SHA256/<hex>` beside it. */
export function byHashPath(path: string, sha256: string): string {
  return `${path.slice(0, path.lastIndexOf('/'))}/by-hash/SHA256/${sha256}`;
}

import { LOCK_FILE, blobPath } from '../../bundle/format.js';
import { parseMemberJson } from '../../bundle/member-json.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../core/media-types.js';
import { parseArchiveToc } from '../../docker-archive/image-toc.js';
import { parseChecksumList } from '../file/checksum-list.js';
import type { LockedRke2 } from './schema.js';
import type { Problem } from '../../core/problem.js';
import type { Read } from '../facets/pins.js';

/**
 * The chain that vouches for the RKE2 files, re-checked offline (each file against its pin is verify/pin-check.ts):
 * the bundled `sha256sum-<arch>.txt` still has the sha256 the lock recorded, and lists each file at the recorded
 * line with that hash; each image tarball's table of contents names exactly the images of its list. A file whose
 * pin does not hold is left to the pin check.
 */
export async function checkRke2Chain(locked: LockedRke2 | undefined, entries: Descriptor[], read: Read): Promise<Problem[]> {
  const problems: Problem[] = [];
  const mismatch = (message: string) => problems.push({ path: LOCK_FILE, code: 'LOCK_MISMATCH', message });
  const layersOf = async (d: Descriptor) => {
    const body = await read(d.digest.slice(7));
    return body ? (parseMemberJson<ImageManifest>(body, blobPath(d.digest.slice(7))).layers ?? []) : undefined;
  };
  let sums: Map<string, { sha256: string; line: number }> | undefined;
  for (const f of locked?.files ?? []) {
    const d = entries.find((e) => e.annotations?.[Annotation.Kind] === 'rke2' && e.annotations?.[Annotation.Title] === f.name);
    const layers = d ? await layersOf(d) : undefined;
    // Missing, damaged or not the pinned content: reported by the pin and content checks.
    if (!layers || layers[0]?.digest !== `sha256:${f.sha256}`) continue;
    if (f.role === 'checksums') {
      const text = await read(f.sha256);
      if (text)
        sums = new Map(
          parseChecksumList(text.toString('utf8')).map((l) => [l.name.replace(/^\.\//, ''), { sha256: l.sha256, line: l.line }]),
        );
    }
    if (f.role === 'images') {
      const tocDesc = layers[1];
      const toc = tocDesc ? await read(tocDesc.digest.slice(7)) : undefined;
      if (!toc) {
        problems.push({ path: LOCK_FILE, code: 'MISSING', message: `RKE2 image tarball ${f.name} has no table of contents in the bundle` });
        continue;
      }
      const refs = parseArchiveToc(toc, blobPath((tocDesc as Descriptor).digest.slice(7)))
        .images.flatMap((i) => i.refs)
        .sort()
        .join('\n');
      if (refs !== [...(f.images ?? [])].sort().join('\n'))
        mismatch(`RKE2 image tarball ${f.name}: its images differ from the list the lock records`);
    }
  }
  // The vouching chain: every checksum-vouched file is in the bundled list, at the recorded line, with its sha256.
  for (const f of locked?.files ?? []) {
    if (f.vouchedBy.kind !== 'checksums') continue;
    const hit = sums?.get(f.name);
    if (!sums) {
      mismatch(`RKE2 file ${f.name}: the checksum list that vouches for it is not in the bundle`);
    } else if (!hit || hit.sha256 !== f.sha256 || hit.line !== f.vouchedBy.line) {
      const said = hit ? `line ${hit.line} says ${hit.sha256}` : 'it is not listed';
      mismatch(
        `RKE2 file ${f.name}: the bundled checksum list does not vouch for sha256:${f.sha256} at line ${f.vouchedBy.line} (${said})`,
      );
    }
  }
  return problems;
}

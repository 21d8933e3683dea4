import { LOCK_FILE, blobPath } from '../../bundle/format.js';
import { parseMemberJson } from '../../bundle/member-json.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../core/media-types.js';
import { parseArchiveToc } from '../../docker-archive/image-toc.js';
import { parseChecksumList } from '../file/checksum-list.js';
import type { LockedRke2 } from '../../lock/types.js';
import type { Problem } from '../../core/problem.js';

type Read = (hex: string) => Promise<Buffer | undefined>;

/**
 * RKE2 files against the lock, and the chain that vouches for them, re-checked offline: each file in index.json with
 * the pinned sha256; the bundled `sha256sum-<arch>.txt` still has the sha256 the lock recorded, and lists each file
 * at the recorded line with that hash; each image tarball's table of contents names exactly the images of its list.
 */
export async function checkRke2(locked: LockedRke2 | undefined, entries: Descriptor[], read: Read): Promise<Problem[]> {
  const problems: Problem[] = [];
  const mismatch = (message: string, expected?: string, actual?: string) =>
    problems.push({ path: LOCK_FILE, code: 'LOCK_MISMATCH', message, ...(expected ? { expected } : {}), ...(actual ? { actual } : {}) });
  const byName = new Map(entries.map((d) => [d.annotations?.[Annotation.Title] ?? '', d]));
  const layersOf = async (d: Descriptor) => {
    const body = await read(d.digest.slice(7));
    return body ? parseMemberJson<ImageManifest>(body, blobPath(d.digest.slice(7))).layers ?? [] : undefined;
  };
  let sums: Map<string, { sha256: string; line: number }> | undefined;
  for (const f of locked?.files ?? []) {
    const d = byName.get(f.name);
    byName.delete(f.name);
    if (!d) {
      mismatch(`RKE2 file ${f.name} is in the lock but not in index.json`);
      continue;
    }
    const layers = await layersOf(d);
    if (!layers) continue; // a damaged manifest is reported by the content checks
    const content = layers[0];
    if (content?.digest !== `sha256:${f.sha256}`) {
      mismatch(`RKE2 file ${f.name}: the bundle carries ${content?.digest}, the lock pins sha256:${f.sha256}`, `sha256:${f.sha256}`, content?.digest);
      continue;
    }
    if (f.role === 'checksums') {
      const text = await read(f.sha256);
      if (text) sums = new Map(parseChecksumList(text.toString('utf8')).map((l) => [l.name.replace(/^\.\//, ''), { sha256: l.sha256, line: l.line }]));
    }
    if (f.role === 'images') {
      const tocDesc = layers[1];
      const toc = tocDesc ? await read(tocDesc.digest.slice(7)) : undefined;
      if (!toc) {
        problems.push({ path: LOCK_FILE, code: 'MISSING', message: `RKE2 image tarball ${f.name} has no table of contents in the bundle` });
        continue;
      }
      const refs = parseArchiveToc(toc, blobPath((tocDesc as Descriptor).digest.slice(7))).images.flatMap((i) => i.refs).sort().join('\n');
      if (refs !== [...(f.images ?? [])].sort().join('\n')) mismatch(`RKE2 image tarball ${f.name}: its images differ from the list the lock records`);
    }
  }
  for (const name of byName.keys()) mismatch(`RKE2 file ${name} is in index.json but not in the lock`);
  // The vouching chain: every checksum-vouched file is in the bundled list, at the recorded line, with its sha256.
  for (const f of locked?.files ?? []) {
    if (f.vouchedBy.kind !== 'checksums') continue;
    const hit = sums?.get(f.name);
    if (!sums) {
      mismatch(`RKE2 file ${f.name}: the checksum list that vouches for it is not in the bundle`);
    } else if (!hit || hit.sha256 !== f.sha256 || hit.line !== f.vouchedBy.line) {
      const said = hit ? `line ${hit.line} says ${hit.sha256}` : 'it is not listed';
      mismatch(`RKE2 file ${f.name}: the bundled checksum list does not vouch for sha256:${f.sha256} at line ${f.vouchedBy.line} (${said})`);
    }
  }
  return problems;
}

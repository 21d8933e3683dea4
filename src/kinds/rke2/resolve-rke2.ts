import pLimit from 'p-limit';
import { sha256 } from '../../core/digest.js';
import { FerryError, isFerryError } from '../../core/errors.js';
import { formatReference, parseReference } from '../../core/reference.js';
import type { LockedRke2, LockedRke2File, Rke2Entry } from './schema.js';
import { findChecksum, parseChecksumList } from '../file/checksum-list.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import {
  INSTALL_SCRIPT_NAME,
  checksumListName,
  imageListNameFor,
  parseImageList,
  planReleaseFiles,
  releaseFileUrl,
} from './release-files.js';

const SMALL_FILE_MAX = 4 << 20;

/**
 * resolve(): pin an RKE2 release. `sha256sum-<arch>.txt` is downloaded first and every expected sha256 is taken
 * from it (binary tarball, image tarballs, image lists); a file it does not list fails the resolve, naming both.
 * The image lists are small, so they are downloaded now, checked against the list, and the images they name go
 * into the lock for review. install.sh has no published checksum: its sha256 is recorded at this first download.
 */
export async function resolveRke2(entry: Rke2Entry, http: HttpGetter): Promise<LockedRke2> {
  const listName = checksumListName(entry.arch);
  const listUrl = releaseFileUrl(entry.releaseUrl, entry.version, listName);
  let list: Buffer;
  try {
    list = await http.getBuffer(listUrl, SMALL_FILE_MAX);
  } catch (err) {
    if (isFerryError(err, 'NOT_FOUND')) {
      throw new FerryError(
        'NOT_FOUND',
        `RKE2 ${entry.version}: no ${listName} at ${listUrl} (is the version an existing release tag, and the arch built for it?)`,
        {
          url: listUrl,
        },
      );
    }
    throw err;
  }
  const lines = parseChecksumList(list.toString('utf8'));
  const listSha = sha256(list).slice(7);
  const files: LockedRke2File[] = [
    { name: listName, url: listUrl, sha256: listSha, size: list.length, vouchedBy: { kind: 'first-fetch' }, role: 'checksums' },
  ];

  const limit = pLimit(4);
  // The images each tarball must hold come from its list, downloaded here (small, and pinned by the same check).
  const listsByName = new Map<string, string[]>();
  const planned = planReleaseFiles(entry, lines, listUrl);
  const resolved = await Promise.all(
    planned.map((p) =>
      limit(async (): Promise<LockedRke2File> => {
        const url = releaseFileUrl(entry.releaseUrl, entry.version, p.name);
        const hit = findChecksum(lines, p.name, listUrl);
        const base = {
          name: p.name,
          url,
          sha256: hit.sha256,
          vouchedBy: { kind: 'checksums' as const, url: listUrl, sha256: listSha, line: hit.line },
          role: p.role,
        };
        const set = p.imageSet !== undefined ? { imageSet: p.imageSet } : {};
        if (p.role === 'image-list') {
          const body = await http.getBuffer(url, SMALL_FILE_MAX);
          const actual = sha256(body).slice(7);
          if (actual !== hit.sha256) {
            throw new FerryError(
              'DIGEST_MISMATCH',
              `${p.name} (${url}): sha256 ${actual}, but ${listName} line ${hit.line} says ${hit.sha256}`,
              {
                file: p.name,
                url,
                expected: hit.sha256,
                actual,
              },
            );
          }
          listsByName.set(p.name, normaliseRefs(parseImageList(body.toString('utf8')), p.name));
          return { ...base, ...set, size: body.length };
        }
        const size = await http.headSize(url).catch(() => undefined);
        return { ...base, ...set, ...(size !== undefined ? { size } : {}) };
      }),
    ),
  );
  for (const f of resolved) {
    if (f.role === 'images') f.images = listsByName.get(imageListNameFor(f.name)) ?? [];
    files.push(f);
  }

  if (entry.installScript) {
    const body = await http.getBuffer(entry.installScriptUrl, SMALL_FILE_MAX);
    files.push({
      name: INSTALL_SCRIPT_NAME,
      url: entry.installScriptUrl,
      sha256: sha256(body).slice(7),
      size: body.length,
      vouchedBy: { kind: 'first-fetch' },
      role: 'install-script',
    });
  }
  return {
    version: entry.version,
    arch: entry.arch,
    ...(entry.imageSets ? { imageSets: entry.imageSets } : {}),
    installScript: entry.installScript,
    pushImages: entry.pushImages,
    releaseUrl: entry.releaseUrl,
    installScriptUrl: entry.installScriptUrl,
    files,
  };
}

function normaliseRefs(refs: string[], listName: string): string[] {
  return refs
    .map((r) => {
      try {
        return formatReference(parseReference(r));
      } catch (err) {
        throw new FerryError('ARCHIVE_INVALID', `${listName}: ${(err as Error).message}`, { file: listName });
      }
    })
    .sort();
}

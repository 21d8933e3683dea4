import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { type Digest, isDigest } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { formatReference, parseReference } from '../core/reference.js';
import { type ArchiveEntry, normaliseMemberPath, walkArchive } from './archive-entries.js';
import { type Compression, decompressed, sniffCompression } from './decompress.js';
import { type ArchiveToc, type TocBlob, type TocImage, buildArchiveManifest } from './image-toc.js';

/** Members small enough to be a manifest or config are kept in memory (up to this much each, and in all). */
const SMALL_MEMBER = 4 << 20;
const SMALL_TOTAL = 256 << 20;

interface Member {
  digest: Digest;
  size: number;
  compression: Compression;
  body?: Buffer;
}

/** One `manifest.json` entry of a docker-save archive (moby image/tarexport; the reference notes, A9). */
interface SaveEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

const LAYER_TYPES: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

/**
 * Reads a docker-save archive (compressed with zstd or gzip, or not) once, streaming, and returns its table of
 * contents: each image's references, config and layers, each with the digest computed from its bytes. Every digest
 * the archive states is checked against the bytes: the config's `rootfs.diff_ids` for uncompressed layers, and the
 * digest in a member's name (`blobs/sha256/<hex>`, crane's `<hex>.tar.gz`, `sha256:<hex>`). Throws
 * FerryError('ARCHIVE_INVALID') naming `subject`, the image and the member.
 */
export async function scanDockerArchive(source: Readable, subject: string): Promise<ArchiveToc> {
  const { stream, compression } = await decompressed(source);
  const members = new Map<string, Member>();
  const links = new Map<string, string>();
  let kept = 0;
  try {
    await walkArchive(stream, {
      link: (path, target, hard) =>
        links.set(path, hard ? normaliseMemberPath(target) : posix.normalize(posix.join(posix.dirname(path), target))),
      wants: () => true,
      read: async (e: ArchiveEntry) => {
        const hash = createHash('sha256');
        const keep = e.size <= SMALL_MEMBER && kept + e.size <= SMALL_TOTAL;
        const chunks: Buffer[] = [];
        let head: Buffer | undefined;
        for await (const chunk of e.body) {
          hash.update(chunk);
          if (!head) head = chunk.subarray(0, 4);
          if (keep) chunks.push(chunk);
        }
        if (keep) kept += e.size;
        members.set(e.path, {
          digest: `sha256:${hash.digest('hex')}` as Digest,
          size: e.size,
          compression: sniffCompression(head ?? Buffer.alloc(0)),
          ...(keep ? { body: Buffer.concat(chunks) } : {}),
        });
      },
    });
  } catch (err) {
    if (err instanceof FerryError) throw err;
    throw invalid(subject, `cannot be read: ${(err as Error).message}`);
  }
  return tocFrom(members, links, compression, subject);
}

function tocFrom(members: Map<string, Member>, links: Map<string, string>, compression: Compression, subject: string): ArchiveToc {
  const manifestJson = members.get('manifest.json')?.body;
  if (!manifestJson) throw invalid(subject, 'has no manifest.json: not a docker save archive');
  let entries: SaveEntry[];
  try {
    entries = JSON.parse(manifestJson.toString('utf8')) as SaveEntry[];
    if (!Array.isArray(entries)) throw new Error('not a list');
  } catch (err) {
    throw invalid(subject, `manifest.json is not a docker save manifest: ${(err as Error).message}`);
  }
  const resolve = (path: string, seen = 0): string => {
    const p = normaliseMemberPath(path);
    const target = links.get(p);
    return target !== undefined && seen < 16 ? resolve(target, seen + 1) : p;
  };
  const blobAt = (path: string, what: string, mediaTypeFor: (m: Member) => string): { blob: TocBlob; member: Member } => {
    const real = resolve(path);
    const member = members.get(real);
    if (!member) throw invalid(subject, `${what}: member ${path} is missing from the archive`);
    const named = digestInName(real);
    if (named && named !== member.digest)
      throw invalid(subject, `${what}: member ${real} is named for ${named} but its bytes hash to ${member.digest}`);
    return { blob: { path: real, digest: member.digest, size: member.size, mediaType: mediaTypeFor(member) }, member };
  };

  const images: TocImage[] = entries.map((entry, n) => {
    const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    if (tags.length === 0)
      throw invalid(subject, `manifest.json entry ${n} has no RepoTags: an untagged image cannot be named in a registry`);
    const refs = tags.map((t) => {
      try {
        return formatReference(parseReference(t));
      } catch (err) {
        throw invalid(subject, `manifest.json entry ${n}: ${(err as Error).message}`);
      }
    });
    const name = refs[0] as string;
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
      throw invalid(subject, `${name}: manifest.json entry ${n} needs Config and Layers paths`);
    }
    const config = blobAt(entry.Config, `${name} config`, () => 'application/vnd.oci.image.config.v1+json');
    const diffIds = diffIdsOf(config.member, name, subject);
    const layers = (entry.Layers as string[]).map((path, i) => {
      const { blob, member } = blobAt(path, `${name} layer ${i}`, (m) => LAYER_TYPES[m.compression]);
      const want = diffIds[i];
      if (member.compression === 'none' && want !== undefined && want !== member.digest) {
        throw invalid(subject, `${name} layer ${i} (${blob.path}) hashes to ${member.digest}, but the image config's diff_ids say ${want}`);
      }
      return blob;
    });
    if (diffIds.length !== layers.length)
      throw invalid(subject, `${name}: the config lists ${diffIds.length} layers, manifest.json ${layers.length}`);
    return {
      refs: refs.sort(),
      config: config.blob,
      layers,
      manifest: buildArchiveManifest({ config: config.blob, layers }).descriptor.digest,
    };
  });
  const format = members.has('oci-layout') ? 'docker-save+oci-layout' : members.has('repositories') ? 'docker-save' : 'tarball';
  images.sort((a, b) => ((a.refs[0] as string) < (b.refs[0] as string) ? -1 : 1));
  return { tocVersion: 1, format, compression, images };
}

function diffIdsOf(config: Member, name: string, subject: string): string[] {
  if (!config.body) throw invalid(subject, `${name}: the image config is too large to be one`);
  try {
    const parsed = JSON.parse(config.body.toString('utf8')) as { rootfs?: { diff_ids?: unknown } };
    const ids = parsed.rootfs?.diff_ids;
    if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string')) throw new Error('no rootfs.diff_ids');
    return ids as string[];
  } catch (err) {
    throw invalid(subject, `${name}: the image config is not valid: ${(err as Error).message}`);
  }
}

/** `blobs/sha256/<hex>`, crane's `<hex>.tar.gz` / `.tar.zst` / `.tar`, and `sha256:<hex>` name their own digest. */
function digestInName(path: string): Digest | undefined {
  const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path) ?? /^(?:sha256:)?([0-9a-f]{64})(?:\.tar(?:\.gz|\.zst)?|\.json)?$/.exec(path);
  const d = m ? `sha256:${m[1]}` : undefined;
  return d && isDigest(d) ? d : undefined;
}

function invalid(subject: string, what: string): FerryError {
  return new FerryError('ARCHIVE_INVALID', `${subject} ${what}`, { archive: subject });
}

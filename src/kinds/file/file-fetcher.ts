import { type Readable, Transform } from 'node:stream';
import { digestFromHex, sha256 } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { counted } from '../../core/streams.js';
import { Annotation, type Descriptor, MediaType } from '../../core/media-types.js';
import type { LockedFile, FileEntry } from './schema.js';
import { fileNameFromUrl } from '../../manifest/file-name.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import type { ContentStore } from '../../store/content-store.js';
import { findChecksum, parseChecksumList } from './checksum-list.js';
import { EMPTY_CONFIG, EMPTY_DESCRIPTOR, type FileArtifactInput, buildFileArtifact } from '../../bundle/file-artifact.js';

/**
 * A file no checksum list, lock or Content-Length gives a size for is still capped, so an endless body cannot fill
 * the disk: past this many bytes the download fails and its partial is dropped. `pull --max-file-size` raises it.
 */
export const DEFAULT_MAX_FILE_SIZE = 8 * 1024 ** 3;

const CHECKSUM_LIST_MAX = 4 << 20;

/** The upstream file name a checksum list would use: the last URL path segment (as the manifest's default name). */
export function urlFileName(url: string): string {
  return fileNameFromUrl(new URL(url)) ?? '';
}

/**
 * resolve(): pin a file entry to a sha256 — its inline pin, or its line in the publisher's checksum list (whose own
 * sha256 and line number go into the lock for the audit trail). The size comes from a HEAD when offered.
 */
export async function resolveFile(entry: FileEntry, http: HttpGetter): Promise<LockedFile> {
  const size = await http.headSize(entry.url).catch(() => undefined);
  const sized = size !== undefined ? { size } : {};
  if (entry.sha256) return { name: entry.name, url: entry.url, sha256: entry.sha256, ...sized, vouchedBy: { kind: 'inline' } };
  const listUrl = entry.checksums as string;
  const list = await http.getBuffer(listUrl, CHECKSUM_LIST_MAX);
  const hit = findChecksum(parseChecksumList(list.toString('utf8')), urlFileName(entry.url), listUrl);
  return {
    name: entry.name,
    url: entry.url,
    sha256: hit.sha256,
    ...sized,
    vouchedBy: { kind: 'checksums', url: listUrl, sha256: sha256(list).slice(7), line: hit.line },
  };
}

/** Human-readable provenance of a file's sha256, for annotations and reports. */
export function checksumSource(f: LockedFile): string {
  const v = f.vouchedBy;
  if (v.kind === 'inline') return 'inline sha256 pin in the bundle manifest';
  if (v.kind === 'first-fetch') return 'no upstream checksum; sha256 recorded in the lock at first download (HTTPS)';
  return `${v.url} line ${v.line}`;
}

/**
 * fetch(): download into the cache (verified against the pin before it is committed, resuming a partial download),
 * then store the file's artifact manifest and empty config beside it. Returns the manifest descriptor.
 */
export async function fetchFile(f: LockedFile, http: HttpGetter, store: ContentStore, events: EventSink): Promise<Descriptor> {
  const blob = await fetchFileBlob(f, http, store, events);
  return storeFileArtifact(store, { name: f.name, url: f.url, digest: blob.digest, size: blob.size, checksumSource: checksumSource(f) });
}

/** Brings a pinned file's bytes into the cache (unless already there); returns its blob descriptor. */
export async function fetchFileBlob(
  f: LockedFile,
  http: HttpGetter,
  store: ContentStore,
  events: EventSink,
  vouchedBy = checksumSource(f),
): Promise<Descriptor> {
  const digest = digestFromHex(f.sha256, `sha256 of ${f.name}`);
  const size = f.size ?? (await http.headSize(f.url).catch(() => undefined));
  const blob = { mediaType: 'application/octet-stream', digest, size: size ?? -1 };
  if (size !== undefined && (await store.exists(blob))) {
    events({ type: 'blob', action: 'cached', digest, size });
  } else {
    const subject = `file ${f.name} (${f.url}, sha256 from ${vouchedBy})`;
    const sized = size !== undefined ? { size } : {};
    const max = http.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    const open = async (offset: number) => {
      const body = counted(await http.getStream(f.url, offset, size), events);
      return size === undefined
        ? capped(
            body,
            max - offset,
            `${subject}: more than ${max} bytes (--max-file-size) arrived, and nothing gave its size; raise --max-file-size (e.g. --max-file-size ${suggest(max)}) if the file really is larger`,
          )
        : body;
    };
    // TOO_LARGE: the store drops the partial, so the next run does not resume an endless body either.
    await store.pushResumable({ digest, ...sized }, open, subject);
    events({ type: 'blob', action: 'fetched', digest, size: await store.sizeOf(digest) });
  }
  return { mediaType: MediaType.OctetStream, digest, size: await store.sizeOf(digest) };
}

/** Stores a file's artifact manifest (and the empty config) in the cache; returns the manifest's descriptor. */
export async function storeFileArtifact(store: ContentStore, input: FileArtifactInput): Promise<Descriptor> {
  const artifact = buildFileArtifact(input);
  await store.putBuffer(EMPTY_DESCRIPTOR, EMPTY_CONFIG);
  await store.putBuffer(artifact.descriptor, artifact.body);
  return { ...artifact.descriptor, annotations: { [Annotation.Title]: input.name } };
}

/** Passes at most `left` bytes through; one more fails the stream (TOO_LARGE: a limit, not damage) and closes the source. */
function capped(source: Readable, left: number, message: string): Readable {
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > left) cb(new FerryError('TOO_LARGE', message, { limit: left }));
      else cb(null, chunk);
    },
  });
  source.on('error', (err) => t.destroy(err));
  t.on('close', () => source.destroy());
  return source.pipe(t);
}

/** Twice the cap, in GiB (or MiB below 1 GiB), as a value `--max-file-size` accepts. */
function suggest(max: number): string {
  return max >= 1 << 30 ? `${Math.ceil((2 * max) / (1 << 30))}G` : `${Math.ceil((2 * max) / (1 << 20))}M`;
}

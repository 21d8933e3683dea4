import type { Readable } from 'node:stream';
import { type Digest, digestHex } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import type { Descriptor, ImageIndex } from '../core/media-types.js';
import type { RangeSource, ReadOnlyStorage } from '../graph/storage.js';
import { type ByteSource, readExactly } from './byte-source.js';
import { openBundleSource } from './open-bundle.js';
import {
  BUNDLE_FORMAT_VERSION,
  BUNDLE_META_FILE,
  type BundleMeta,
  INDEX_FILE,
  LOCK_FILE,
  MAX_METADATA_BYTES,
  REQUIRED_FILES,
  SUMS_FILE,
  blobPath,
} from './format.js';
import { damaged, parseMemberJson } from './member-json.js';
import { assertFerryBundle } from './identify.js';
import { parseSha256Sums } from './sha256sums.js';
import { type TarEntry, scanTarIndex } from './tar-index.js';

/**
 * Random access to a bundle without extracting it: the tar's headers are indexed once, then each blob is served
 * as a ranged read of the archive (push reads images straight from the bundle). Bytes are returned raw, as
 * ReadOnlyStorage promises; callers verify them (copyGraph pipes every blob through a VerifyingStream).
 * Structural checks here are the minimum to use the bundle (v1 metadata present, index.json an image index); full
 * integrity checking is `verifyBundle`.
 */
export class BundleReader implements ReadOnlyStorage, RangeSource {
  private readonly byPath: Map<string, TarEntry>;
  private constructor(
    private readonly src: ByteSource,
    readonly entries: readonly TarEntry[],
    readonly meta: BundleMeta,
    private readonly parsedIndex: ImageIndex,
  ) {
    this.byPath = new Map(entries.map((e) => [e.path, e]));
  }

  /** Opens and indexes a bundle; BUNDLE_INVALID if it is none (identify.ts) or lacks a v1 metadata file, NOT_SUPPORTED for a newer format. */
  static async open(path: string): Promise<BundleReader> {
    const src = await openBundleSource(path);
    try {
      await assertFerryBundle(src);
      const entries = await scanTarIndex(src);
      const present = new Set(entries.map((e) => e.path));
      const missing = REQUIRED_FILES.filter((f) => !present.has(f));
      if (missing.length > 0) {
        throw new FerryError('BUNDLE_INVALID', `${path} is not a ferry bundle: missing ${missing.join(', ')}`, { path, missing });
      }
      const read = (name: string) => readEntry(src, entries.find((e) => e.path === name) as TarEntry, MAX_METADATA_BYTES);
      const meta = parseMeta(await read(BUNDLE_META_FILE), path);
      const index = parseIndex(await read(INDEX_FILE), path);
      return new BundleReader(src, entries, meta, index);
    } catch (err) {
      await src.close();
      throw err;
    }
  }

  get path(): string {
    return this.src.name;
  }

  entry(path: string): TarEntry | undefined {
    return this.byPath.get(path);
  }

  /** Reads a whole (metadata) member into memory; refuses members over `maxBytes`. */
  async readSmall(path: string, maxBytes = MAX_METADATA_BYTES): Promise<Buffer> {
    const e = this.byPath.get(path);
    if (!e || e.kind !== 'file') throw new FerryError('NOT_FOUND', `${this.path}: no file ${path} in the bundle`, { path });
    return readEntry(this.src, e, maxBytes);
  }

  /** index.json, parsed and shape-checked when the bundle was opened (image-spec image-index.md). */
  index(): ImageIndex {
    return this.parsedIndex;
  }

  /** ferry.lock.json exactly as stored (its meaning is the lock module's business). */
  lockBytes(): Promise<Buffer> {
    return this.readSmall(LOCK_FILE);
  }

  /** SHA256SUMS parsed strictly: path → hex. */
  async sha256sums(): Promise<Map<string, string>> {
    return parseSha256Sums(await this.readSmall(SUMS_FILE));
  }

  hasBlob(digest: Digest): boolean {
    return this.byPath.get(blobPath(digestHex(digest)))?.kind === 'file';
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.byPath.get(blobPath(digestHex(desc.digest)))?.size === desc.size;
  }

  /**
   * A manifest blob of this bundle that is not a manifest (broken JSON, not an object, malformed descriptors) is
   * damage like any other (INTEGRITY_FAILED, exit 3) naming the member, not BUNDLE_INVALID as from a registry.
   */
  malformedManifest(desc: Descriptor, problem: string): FerryError {
    const member = blobPath(digestHex(desc.digest));
    return damaged(`${this.path}: ${member} (manifest ${desc.digest}) ${problem}`, member, this.path);
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    return this.fetchAt(desc, 0);
  }

  /** The blob's bytes from `offset` on (lets a resumable target re-read only a missing tail). */
  async fetchAt(desc: Descriptor, offset: number): Promise<Readable> {
    const e = this.blobEntry(desc);
    if (offset < 0 || offset > e.size) throw new FerryError('INTERNAL', `blob ${desc.digest}: offset ${offset} outside 0…${e.size}`);
    return this.src.stream(e.offset + offset, e.size - offset);
  }

  async close(): Promise<void> {
    await this.src.close();
  }

  private blobEntry(desc: Descriptor): TarEntry {
    const e = this.byPath.get(blobPath(digestHex(desc.digest)));
    if (!e || e.kind !== 'file') {
      throw new FerryError('NOT_FOUND', `blob ${desc.digest} is not in bundle ${this.path}`, { digest: desc.digest, path: this.path });
    }
    if (e.size !== desc.size) {
      throw new FerryError(
        'SIZE_MISMATCH',
        `blob ${desc.digest} in bundle ${this.path}: size mismatch: expected ${desc.size} bytes, the bundle holds ${e.size}`,
        { digest: desc.digest, expected: desc.size, actual: e.size },
      );
    }
    return e;
  }
}

async function readEntry(src: ByteSource, e: TarEntry, maxBytes: number): Promise<Buffer> {
  if (e.size > maxBytes) {
    throw new FerryError('BUNDLE_INVALID', `${src.name}: ${e.path} is ${e.size} bytes, more than the ${maxBytes} allowed`, {
      path: e.path,
    });
  }
  return readExactly(src, e.offset, e.size);
}

function parseMeta(body: Buffer, path: string): BundleMeta {
  const m = parseMemberJson<Partial<BundleMeta>>(body, BUNDLE_META_FILE, path);
  if (typeof m.formatVersion !== 'number')
    throw damaged(`${path}: ${BUNDLE_META_FILE} has no numeric formatVersion`, BUNDLE_META_FILE, path);
  if (m.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw new FerryError(
      'NOT_SUPPORTED',
      `${path}: bundle format version ${m.formatVersion} is not supported (this ferry reads version ${BUNDLE_FORMAT_VERSION})`,
      { path, formatVersion: m.formatVersion },
    );
  }
  return {
    formatVersion: m.formatVersion,
    name: String(m.name ?? ''),
    tool: String(m.tool ?? ''),
    ...(m.delta ? { delta: m.delta } : {}),
    ...(m.signatures ? { signatures: m.signatures } : {}),
  };
}

function parseIndex(body: Buffer, path: string): ImageIndex {
  const parsed = parseMemberJson<Partial<ImageIndex>>(body, INDEX_FILE, path);
  if (parsed.schemaVersion !== 2 || !Array.isArray(parsed.manifests)) {
    throw damaged(`${path}: ${INDEX_FILE} is not an OCI image index (schemaVersion 2 with manifests[])`, INDEX_FILE, path);
  }
  return parsed as ImageIndex;
}

import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { digestFromHex, sha256 } from '../../core/digest.js';
import { FerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { counted } from '../../core/streams.js';
import { inputFileError } from '../../core/input-file.js';
import { Annotation, type Descriptor, MediaType } from '../../core/media-types.js';
import { parseFerryReleaseName } from './ferry-lock.js';
import type { LockedFerry } from './schema.js';
import type { ContentStore } from '../../store/content-store.js';
import { parseChecksumList } from '../file/checksum-list.js';
import { storeFileArtifact } from '../file/file-fetcher.js';

/** CycloneDX JSON (cyclonedx.org/specification: the registered media type). */
export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

/** SBOMs and checksum lists are small; a larger one beside the executable is not one. */
const SIDE_FILE_MAX = 16 << 20;

/**
 * Which executable to carry: `--with-ferry PATH` wins, then spec.ferry.path, then (spec.ferry: true) the single
 * executable running this pull — only when it is one (node:sea isSea()); under plain node, execPath is node itself.
 */
export async function ferryPath(flag: string | undefined, entry: { path?: string } | undefined): Promise<string | undefined> {
  if (flag !== undefined) return flag;
  if (!entry) return undefined;
  if (entry.path !== undefined) return entry.path;
  // process.getBuiltinModule (Node >= 20.16) also works inside a single executable, where import() may not.
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:sea');
  const sea = (builtin ?? (await import('node:sea').catch(() => undefined))) as { isSea?: () => boolean } | undefined;
  if (sea?.isSea?.()) return process.execPath;
  throw new FerryError(
    'USAGE',
    'spec.ferry: true carries the ferry executable running the pull, but this ferry is not a single executable (it runs under node); pass --with-ferry PATH or set spec.ferry.path to a ferry-<version>-linux-<arch> file',
    {},
  );
}

/**
 * resolve(): read the executable (nothing is run), its sha256 and size, and what its release put beside it — the
 * SBOM `<name>.cdx.json` (the version from metadata.component.version) and SHA256SUMS, whose line for it must match.
 */
export async function resolveFerry(path: string): Promise<LockedFerry> {
  const name = basename(path);
  const fromName = parseFerryReleaseName(name);
  if (!fromName) {
    throw new FerryError(
      'USAGE',
      `ferry executable ${name}: expected its release name ferry-<version>-linux-<arch> (as npm run release writes it), e.g. ferry-0.1.0-linux-amd64; rename it or pass the file from release/`,
      { file: name },
    );
  }
  const { hex, size } = await hashLocal(path);
  const dir = dirname(path);
  const sbomName = `${name}.cdx.json`;
  const sbomBody = await readOptional(join(dir, sbomName), 'ferry SBOM');
  const sumsBody = await readOptional(join(dir, 'SHA256SUMS'), 'ferry SHA256SUMS');
  let vouchedBy: LockedFerry['vouchedBy'] = { kind: 'local' };
  if (sumsBody) {
    const lines = parseChecksumList(sumsBody.toString('utf8'));
    const hit = lines.find((l) => l.name === name);
    if (!hit)
      throw new FerryError(
        'CHECKSUM_MISSING',
        `SHA256SUMS beside ${name} does not list it; regenerate it (cd release && sha256sum ferry-* > SHA256SUMS) or remove it`,
        { file: name },
      );
    if (hit.sha256 !== hex) {
      throw new FerryError(
        'DIGEST_MISMATCH',
        `ferry executable ${name}: SHA256SUMS line ${hit.line} says ${hit.sha256}, the file's sha256 is ${hex}; the file or the list is not from the same release`,
        { file: name, expected: hit.sha256, actual: hex },
      );
    }
    const sbomLine = sbomBody ? lines.find((l) => l.name === sbomName) : undefined;
    const sbomHex = sbomBody ? sha256(sbomBody).slice(7) : '';
    if (sbomLine && sbomLine.sha256 !== sbomHex) {
      throw new FerryError(
        'DIGEST_MISMATCH',
        `ferry SBOM ${sbomName}: SHA256SUMS line ${sbomLine.line} says ${sbomLine.sha256}, the file's sha256 is ${sbomHex}`,
        { file: sbomName, expected: sbomLine.sha256, actual: sbomHex },
      );
    }
    vouchedBy = { kind: 'sha256sums', sha256: sha256(sumsBody).slice(7), line: hit.line };
  }
  const sbomVersion = sbomBody ? versionOfSbom(sbomBody, sbomName) : undefined;
  if (sbomVersion !== undefined && sbomVersion !== fromName.version) {
    throw new FerryError(
      'USAGE',
      `ferry executable ${name}: its SBOM ${sbomName} says version ${sbomVersion}, its name says ${fromName.version}; they must agree`,
      { file: name },
    );
  }
  return {
    name,
    version: sbomVersion ?? fromName.version,
    versionFrom: sbomVersion !== undefined ? 'sbom' : 'file-name',
    source: name,
    sha256: hex,
    size,
    vouchedBy,
    ...(sbomBody ? { sbom: { name: sbomName, sha256: sha256(sbomBody).slice(7), size: sbomBody.length } } : {}),
  };
}

/** metadata.component.version of a CycloneDX JSON document, when it has one. */
function versionOfSbom(body: Buffer, name: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new FerryError('USAGE', `ferry SBOM ${name}: not JSON: ${(err as Error).message}`, { file: name });
  }
  const v = (doc as { metadata?: { component?: { version?: unknown } } } | null)?.metadata?.component?.version;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Human-readable provenance of the executable's sha256. */
export function ferryChecksumSource(f: LockedFerry): string {
  return f.vouchedBy.kind === 'sha256sums'
    ? `SHA256SUMS line ${f.vouchedBy.line} (list sha256 ${f.vouchedBy.sha256})`
    : 'sha256 computed from the local file at pull (no SHA256SUMS beside it)';
}

/**
 * fetch(): the executable (and its SBOM) into the cache, read again from the path and checked against the lock
 * (a `--lock` pull, or a file changed since resolve, fails here), then its artifact manifest. Returns its descriptor.
 */
export async function storeFerry(f: LockedFerry, path: string, store: ContentStore, events: EventSink): Promise<Descriptor> {
  const exe = { mediaType: MediaType.OctetStream, digest: digestFromHex(f.sha256, `sha256 of ${f.name}`), size: f.size };
  const subject = `ferry executable ${f.name}`;
  // The copy into the cache is this artifact's fetch: its bytes count in the fetch phase, whose total includes it.
  if (await store.exists(exe)) events({ type: 'blob', action: 'cached', digest: exe.digest, size: f.size });
  else {
    await store.push(exe, counted(createReadStream(path), events)).catch((err: unknown) => {
      throw err instanceof FerryError
        ? new FerryError(err.code, `${subject}: ${err.message} (the lock pins sha256 ${f.sha256})`, err.details)
        : inputFileError(err, path, 'ferry executable');
    });
    events({ type: 'blob', action: 'fetched', digest: exe.digest, size: f.size });
  }
  const extraLayers: Descriptor[] = [];
  if (f.sbom) {
    const body = await readLocal(join(dirname(path), f.sbom.name), 'ferry SBOM', SIDE_FILE_MAX);
    const hex = sha256(body).slice(7);
    if (hex !== f.sbom.sha256)
      throw new FerryError('DIGEST_MISMATCH', `ferry SBOM ${f.sbom.name}: the lock pins ${f.sbom.sha256}, the file's sha256 is ${hex}`, {
        expected: f.sbom.sha256,
        actual: hex,
      });
    const desc = { mediaType: CYCLONEDX_MEDIA_TYPE, digest: sha256(body), size: body.length };
    await store.putBuffer(desc, body);
    extraLayers.push({ ...desc, annotations: { [Annotation.Title]: f.sbom.name } });
  }
  return storeFileArtifact(store, {
    name: f.name,
    url: f.source,
    digest: exe.digest,
    size: f.size,
    checksumSource: ferryChecksumSource(f),
    extraLayers,
    annotations: { [Annotation.Kind]: 'ferry', [Annotation.FerryVersion]: f.version },
  });
}

/** sha256 and size of a local file, read as a stream (a single executable is tens of MiB). */
async function hashLocal(path: string): Promise<{ hex: string; size: number }> {
  try {
    const st = await fs.stat(path);
    if (!st.isFile()) throw new FerryError('USAGE', `ferry executable ${path} is not a file`, { file: basename(path) });
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { hex: hash.digest('hex'), size };
  } catch (err) {
    throw err instanceof FerryError ? err : inputFileError(err, path, 'ferry executable');
  }
}

async function readLocal(path: string, what: string, max: number): Promise<Buffer> {
  try {
    const st = await fs.stat(path);
    if (!st.isFile()) throw new FerryError('USAGE', `${what} ${path} is not a file`, { file: basename(path) });
    if (st.size > max) throw new FerryError('TOO_LARGE', `${what} ${path} is ${st.size} bytes, more than ${max}`, { file: basename(path) });
    return await fs.readFile(path);
  } catch (err) {
    throw err instanceof FerryError ? err : inputFileError(err, path, what);
  }
}

async function readOptional(path: string, what: string): Promise<Buffer | undefined> {
  try {
    await fs.access(path);
  } catch {
    return undefined;
  }
  return readLocal(path, what, SIDE_FILE_MAX);
}

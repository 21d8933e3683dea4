import { readFile } from 'node:fs/promises';
import { type Digest, digestFromHex, sha256 } from '../../core/digest.js';
import { FerryError, isFerryError } from '../../core/errors.js';
import { Annotation, type Descriptor, MediaType } from '../../core/media-types.js';
import type { ContentStore } from '../../store/content-store.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import type { FetchedFiles } from './apt-index.js';
import { readKeyring, verifyRelease } from './release-signature.js';
import type { LockedAptSource, LockedRelease } from './schema.js';

/** Release files and signatures are kilobytes; the indexes are capped at the size the lock recorded for them. */
const RELEASE_MAX = 16 << 20;

/** Something the lock pins that upstream no longer serves, and the cache does not hold. */
export interface Gone {
  /** `libfoo 1.0-1 (amd64)`, `dists/stable/InRelease`. */
  what: string;
  url: string;
  /** `HTTP 404`, `serves another file now (sha256 …)`. */
  why: string;
}

/** One file of a source's metadata artifact: its path in the bundle, where it comes from, and its sha256 when the lock has it. */
interface Expected {
  path: string;
  from: string;
  local?: boolean;
  sha256?: string;
  max: number;
  /** For Release.gpg: the Release it signs, whose signers the lock recorded. */
  signs?: LockedRelease;
}

function expectedFiles(source: LockedAptSource): Expected[] {
  const out: Expected[] = [
    { path: 'keyring.gpg', from: source.keyring.path, local: true, sha256: source.keyring.sha256, max: RELEASE_MAX },
  ];
  for (const r of source.releases) {
    out.push({ path: `dists/${r.suite}/${r.file}`, from: r.url, sha256: r.sha256, max: RELEASE_MAX });
    if (r.file === 'Release') out.push({ path: `dists/${r.suite}/Release.gpg`, from: `${r.url}.gpg`, max: RELEASE_MAX, signs: r });
    for (const i of r.indexes) out.push({ path: `dists/${r.suite}/${i.path}`, from: i.url, sha256: i.sha256, max: i.size });
  }
  return out;
}

/**
 * The keyring, signed Release files and Packages indexes of a source, in the content store, as layers of its
 * metadata artifact. Each comes from what resolve read (`have`), else from the cache by the sha256 the lock pins
 * (a `--lock` pull after the archive moved on: upstream serves a newer InRelease and index under the same URLs),
 * else from upstream, checked against the lock. What upstream no longer serves (a 404, or another file now) is
 * added to `gone` and left out, so the caller can name everything missing at once. A Release.gpg has no sha256 in
 * the lock: one fetched for a Release the cache held must still sign it, by the keys the lock recorded.
 */
export async function storeLockedMetadata(
  source: LockedAptSource,
  have: FetchedFiles | undefined,
  http: HttpGetter,
  store: ContentStore,
  gone: Gone[],
): Promise<Descriptor[]> {
  const layers: Descriptor[] = [];
  const releases = new Map<LockedRelease, Buffer>();
  for (const f of expectedFiles(source)) {
    const held = have?.get(f.path) ?? (f.local ? await readFile(f.from) : undefined);
    let desc: Descriptor | undefined;
    if (held) desc = await put(store, held, f);
    else {
      desc = (f.sha256 ? await cached(store, f.sha256) : undefined) ?? (await download(http, store, f, releases, source, gone));
    }
    if (!desc) continue;
    if (f.signs === undefined && f.path.endsWith('/Release')) {
      const r = source.releases.find((x) => `dists/${x.suite}/Release` === f.path);
      if (r) releases.set(r, held ?? (await store.readBuffer(desc)));
    }
    layers.push({ ...desc, annotations: { [Annotation.Title]: f.path } });
  }
  return layers;
}

/** Bytes resolve read or a local file, checked against the lock and stored. */
async function put(store: ContentStore, body: Buffer, f: Expected): Promise<Descriptor> {
  const actual = sha256(body);
  if (f.sha256 && actual !== digestFromHex(f.sha256)) {
    throw new FerryError('DIGEST_MISMATCH', `${f.from}: expected sha256:${f.sha256} (the lock), got ${actual}`, {
      url: f.from,
      expected: f.sha256,
      actual,
    });
  }
  const desc: Descriptor = { mediaType: MediaType.OctetStream, digest: actual, size: body.length };
  await store.putBuffer(desc, body);
  return desc;
}

/** A blob the cache holds under this sha256 (it only ever keeps bytes that hash to their name). */
async function cached(store: ContentStore, hex: string): Promise<Descriptor | undefined> {
  const digest: Digest = digestFromHex(hex);
  try {
    return { mediaType: MediaType.OctetStream, digest, size: await store.sizeOf(digest) };
  } catch {
    return undefined;
  }
}

async function download(
  http: HttpGetter,
  store: ContentStore,
  f: Expected,
  releases: Map<LockedRelease, Buffer>,
  source: LockedAptSource,
  gone: Gone[],
): Promise<Descriptor | undefined> {
  let body: Buffer;
  try {
    body = await http.getBuffer(f.from, f.max);
  } catch (err) {
    // Longer than the locked size: another file than the one the lock pins.
    if (isFerryError(err, 'NOT_FOUND') || (isFerryError(err) && err.details.limit !== undefined)) {
      gone.push({
        what: f.path,
        url: f.from,
        why: isFerryError(err, 'NOT_FOUND') ? 'HTTP 404' : `serves another file now (longer than the ${f.max} bytes the lock pins)`,
      });
      return undefined;
    }
    throw err;
  }
  const actual = sha256(body);
  if (f.sha256 && actual !== digestFromHex(f.sha256)) {
    gone.push({ what: f.path, url: f.from, why: `serves another file now (${actual}, the lock pins sha256:${f.sha256})` });
    return undefined;
  }
  if (f.signs) {
    const release = releases.get(f.signs);
    if (!release) return undefined; // the Release itself is gone, and named
    try {
      const keys = await readKeyring(await readFile(source.keyring.path), source.keyring.path);
      const v = await verifyRelease({ release, signature: body }, keys, f.from);
      if (!f.signs.signedBy.every((fp) => v.signedBy.includes(fp))) throw new Error('not by the keys the lock recorded');
    } catch {
      gone.push({ what: f.path, url: f.from, why: 'no longer signs the Release the lock pins (the archive signed a newer one)' });
      return undefined;
    }
  }
  const desc: Descriptor = { mediaType: MediaType.OctetStream, digest: actual, size: body.length };
  await store.putBuffer(desc, body);
  return desc;
}

/**
 * One error for everything of a source that upstream no longer serves and the cache does not hold, each named
 * with its URL and why, and the two ways out: resolve again against the archive as it is now, or pull with the
 * cache that holds them.
 */
export function goneError(source: LockedAptSource, gone: Gone[], cacheDir: string): FerryError {
  const lines = gone.map((g) => `  ${g.what}: ${g.url} (${g.why})`);
  const debs = gone.filter((g) => !g.what.startsWith('dists/')).length;
  const what = [
    debs > 0 ? `${debs} .deb${debs === 1 ? '' : 's'}` : '',
    gone.length > debs ? `${gone.length - debs} metadata file${gone.length - debs === 1 ? '' : 's'}` : '',
  ]
    .filter((s) => s !== '')
    .join(' and ');
  return new FerryError(
    'NOT_FOUND',
    `apt ${source.url}: upstream no longer serves ${what} the lock pins, and the cache ${cacheDir} does not hold them (the archive moved on):\n${lines.join('\n')}\n` +
      `pull again without --lock to resolve against the archive as it is now, or pull with the --cache that holds them`,
    { source: source.url, gone },
  );
}

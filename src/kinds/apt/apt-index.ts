import { sha256 } from '../../core/digest.js';
import { FerryError, isFerryError } from '../../core/errors.js';
import { type ByteInput, indexFormOf } from '../../core/decompress-pieces.js';
import { type IndexSource, indexStanzaBuffers } from './index-stanzas.js';
import { type StanzaIdentity, ownStanza, stanzaIdentity } from './stanza-bytes.js';
import { type Package, packageFromStanza } from './package-index.js';
import { type IndexChoice, byHashPath, indexChoices, uncompressedPath } from './index-form.js';
import { type ReleaseFile, parseReleaseFile, releasePriority } from './release-file.js';
import { type VerifiedRelease, verifyRelease } from './release-signature.js';
import type { LockedRelease } from './schema.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';

const RELEASE_MAX = 16 << 20;
const INDEX_MAX = 256 << 20;

/** The files of a suite as downloaded, by path under the source URL (`dists/<suite>/InRelease`), for the bundle. */
export type FetchedFiles = Map<string, Buffer>;

export interface SuiteIndexes {
  release: LockedRelease;
  /** In index order (components, then architectures), each with `origin` `<suite> <index path>`. */
  packages: Package[];
  /** The pin priority its signed Release gives its indexes (release-file.ts releasePriority). */
  priority: number;
  files: FetchedFiles;
}

/**
 * One suite of an apt source: its Release (InRelease, else Release + Release.gpg) checked against the keyring, an
 * expired Valid-Until refused (apt refuses it too), then for each wanted component and architecture the Packages
 * index in the first form the signed Release lists (xz, gz, plain: src/kinds/apt/index-form.ts), checked against the size and SHA256 it gives. Only the signed text is parsed.
 * `reads` leaves out the indexes another source of the same universe reads already (apt reads a duplicate once).
 */
export async function fetchSuite(
  source: { url: string; components: string[]; architectures: string[]; reads?: (component: string, arch: string) => boolean },
  suite: string,
  keys: import('openpgp').Key[],
  http: HttpGetter,
  now = new Date(),
): Promise<SuiteIndexes> {
  const base = `${source.url}/dists/${suite}`;
  const files: FetchedFiles = new Map();
  let verified: VerifiedRelease;
  let file: 'InRelease' | 'Release';
  let signedBytes: Buffer;
  try {
    signedBytes = await http.getBuffer(`${base}/InRelease`, RELEASE_MAX);
    file = 'InRelease';
    files.set(`dists/${suite}/InRelease`, signedBytes);
    verified = await verifyRelease({ inRelease: signedBytes }, keys, `${base}/InRelease`);
  } catch (err) {
    if (!isFerryError(err, 'NOT_FOUND')) throw err;
    signedBytes = await http.getBuffer(`${base}/Release`, RELEASE_MAX);
    const signature = await http.getBuffer(`${base}/Release.gpg`, RELEASE_MAX);
    file = 'Release';
    files.set(`dists/${suite}/Release`, signedBytes);
    files.set(`dists/${suite}/Release.gpg`, signature);
    verified = await verifyRelease({ release: signedBytes, signature }, keys, `${base}/Release`);
  }
  const release = parseReleaseFile(verified.text, `${base}/${file}`);
  if (release.validUntil && release.validUntil.getTime() < now.getTime()) {
    throw new FerryError(
      'APT_RELEASE_INVALID',
      `${base}/${file} expired at ${release.validUntil.toISOString()} (Valid-Until); apt would refuse it too`,
      { release: `${base}/${file}` },
    );
  }
  const packages: Package[] = [];
  const indexes: LockedRelease['indexes'] = [];
  const { reads } = source;
  for (const component of source.components) {
    for (const arch of source.architectures) {
      if (reads && !reads(component, arch)) continue;
      const dir = `${component}/binary-${arch}`;
      const { path, url, body } = await fetchIndex(http, release, indexChoices(release, dir, { suite, release: `${base}/${file}` }), {
        base,
        file,
        suite,
      });
      files.set(`dists/${suite}/${path}`, body);
      indexes.push({ path, url, sha256: sha256(body).slice(7), size: body.length });
      const uncompressed = release.sha256.get(uncompressedPath(path))?.size;
      const source: IndexSource = {
        file: url,
        release: { file, at: `${base}/${file}` },
        path,
        ...(uncompressed !== undefined ? { uncompressedSize: uncompressed } : {}),
      };
      // One by one: spreading 200 000 packages into push() exceeds the call stack.
      for (const p of await parsePackages(body, `${suite} ${path}`, source)) packages.push(p);
    }
  }
  return {
    release: {
      suite,
      file,
      url: `${base}/${file}`,
      sha256: sha256(signedBytes).slice(7),
      signedBy: verified.signedBy,
      ...(release.validUntil ? { validUntil: release.validUntil.toISOString() } : {}),
      indexes,
    },
    packages,
    priority: releasePriority(release),
    files,
  };
}

/**
 * The first index form the signed Release lists that the archive serves (apt also moves to the next compression
 * when one is missing). With `Acquire-By-Hash: yes` each is asked for under by-hash/SHA256/ first, as apt does
 * (apt-pkg acquire-item.cc), then under its plain path on a 404; the URL returned is the one that answered.
 */
async function fetchIndex(
  http: HttpGetter,
  release: ReleaseFile,
  choices: IndexChoice[],
  ctx: { base: string; file: string; suite: string },
): Promise<{ path: string; url: string; body: Buffer }> {
  let missing: unknown;
  for (const listed of choices) {
    const urls = [
      ...(release.acquireByHash ? [`${ctx.base}/${byHashPath(listed.path, listed.sha256)}`] : []),
      `${ctx.base}/${listed.path}`,
    ];
    for (const url of urls) {
      try {
        return { path: listed.path, url, body: await fetchListed(http, url, listed, ctx) };
      } catch (err) {
        if (!isFerryError(err, 'NOT_FOUND')) throw err;
        missing = err;
      }
    }
  }
  throw missing;
}

/** One index, cut off at the size the signed Release lists and checked against its SHA256. */
async function fetchListed(http: HttpGetter, url: string, listed: IndexChoice, ctx: { file: string; suite: string }): Promise<Buffer> {
  const { file, suite } = ctx;
  if (listed.size > INDEX_MAX) {
    throw new FerryError(
      'APT_RELEASE_INVALID',
      `${url}: the signed ${file} of ${suite} lists it at ${listed.size} bytes, more than the ${INDEX_MAX} bytes ferry downloads of one index`,
      { url },
    );
  }
  // The signed size is the download's cap: a longer body is cut off at it, not read whole and compared after.
  const body = await http.getBuffer(url, listed.size).catch((err: unknown) => {
    if (!isFerryError(err) || err.details.limit === undefined) throw err;
    throw new FerryError('SIZE_MISMATCH', `${url}: longer than the ${listed.size} bytes the signed ${file} of ${suite} lists for it`, {
      url,
      expected: listed.size,
    });
  });
  const actual = sha256(body).slice(7);
  if (body.length !== listed.size || actual !== listed.sha256) {
    throw new FerryError(
      'DIGEST_MISMATCH',
      `${url}: sha256 ${actual} (${body.length} bytes), but the signed ${file} of ${suite} says ${listed.sha256} (${listed.size} bytes)`,
      {
        url,
        expected: listed.sha256,
        actual,
      },
    );
  }
  return body;
}

/**
 * A Packages index (xz, gz or plain, by its path; held, or streamed in as it is read), decompressed within the cap
 * its signed Release sets (src/kinds/apt/index-stanzas.ts) and read stanza by stanza; `origin` names it
 * (`<suite> <path>`) on each package. `wanted` looks at a stanza's Package, Version and Architecture alone
 * (src/kinds/apt/stanza-bytes.ts) and skips it before it is parsed; `keep` drops parsed packages the caller has no
 * use for before they take memory. Each kept value is a string of its own, never a slice of the decoded index.
 */
export async function parsePackages(
  body: ByteInput,
  origin: string,
  source: IndexSource,
  keep: (p: Package) => boolean = () => true,
  wanted?: (id: StanzaIdentity) => boolean,
): Promise<Package[]> {
  const packages: Package[] = [];
  const stanzas = indexStanzaBuffers(body, source);
  try {
    for (;;) {
      const next = await stanzas.next().catch((err: unknown) => {
        if (isFerryError(err)) throw err;
        const form = { xz: 'an xz-compressed', gz: 'a gzip-compressed', none: 'a' }[indexFormOf(source.path)];
        throw new FerryError('APT_RELEASE_INVALID', `${source.file}: not ${form} Packages index: ${(err as Error).message}`, {
          index: origin,
        });
      });
      if (next.done) return packages;
      if (wanted) {
        const id = stanzaIdentity(next.value);
        if (!id || !wanted(id)) continue;
      }
      const stanza = ownStanza(next.value);
      const p = stanza ? packageFromStanza(stanza, origin) : undefined;
      if (p && keep(p)) packages.push(p);
    }
  } finally {
    await stanzas.return(undefined); // stops the decoder when a stanza fails to parse
  }
}

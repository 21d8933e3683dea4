import { gunzipSync } from 'node:zlib';
import { sha256 } from '../../core/digest.js';
import { FerryError, isFerryError } from '../../core/errors.js';
import { parseDeb822 } from '../../apt/deb822.js';
import { type Package, packageFromStanza } from '../../apt/package-index.js';
import { type ReleaseFile, parseReleaseFile } from '../../apt/release-file.js';
import { type VerifiedRelease, verifyRelease } from '../../apt/release-signature.js';
import type { LockedRelease } from '../../lock/types.js';
import type { HttpGetter } from '../file-fetcher.js';

const RELEASE_MAX = 16 << 20;
const INDEX_MAX = 256 << 20;

/** The files of a suite as downloaded, by path under the source URL (`dists/<suite>/InRelease`), for the bundle. */
export type FetchedFiles = Map<string, Buffer>;

export interface SuiteIndexes {
  release: LockedRelease;
  packages: Package[];
  files: FetchedFiles;
}

/**
 * One suite of an apt source: its Release (InRelease, else Release + Release.gpg) checked against the keyring, an
 * expired Valid-Until refused (apt refuses it too), then each Packages.gz the signed Release lists for the wanted
 * components and architectures, checked against the size and SHA256 it gives. Only the signed text is parsed.
 */
export async function fetchSuite(
  source: { url: string; components: string[]; architectures: string[] },
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
    throw new FerryError('APT_RELEASE_INVALID', `${base}/${file} expired at ${release.validUntil.toISOString()} (Valid-Until); apt would refuse it too`, { release: `${base}/${file}` });
  }
  const packages: Package[] = [];
  const indexes: LockedRelease['indexes'] = [];
  for (const component of source.components) {
    for (const arch of source.architectures) {
      const path = `${component}/binary-${arch}/Packages.gz`;
      const listed = listedIn(release, path, `${base}/${file}`);
      const url = `${base}/${path}`;
      const body = await http.getBuffer(url, INDEX_MAX);
      const actual = sha256(body).slice(7);
      if (body.length !== listed.size || actual !== listed.sha256) {
        throw new FerryError('DIGEST_MISMATCH', `${url}: sha256 ${actual} (${body.length} bytes), but the signed ${file} of ${suite} says ${listed.sha256} (${listed.size} bytes)`, {
          url,
          expected: listed.sha256,
          actual,
        });
      }
      files.set(`dists/${suite}/${path}`, body);
      indexes.push({ path, url, sha256: actual, size: body.length });
      packages.push(...parsePackages(body, `${suite} ${path}`));
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
    files,
  };
}

function listedIn(release: ReleaseFile, path: string, what: string): { sha256: string; size: number } {
  const hit = release.sha256.get(path);
  if (!hit) throw new FerryError('APT_RELEASE_INVALID', `${what} does not list ${path} (is the component or architecture right?)`, { release: what, path });
  return hit;
}

/** A Packages.gz index, decompressed and read; `origin` names it (`<suite> <path>`) on each package. */
export function parsePackages(gz: Buffer, origin: string): Package[] {
  let text: string;
  try {
    text = gunzipSync(gz).toString('utf8');
  } catch (err) {
    throw new FerryError('APT_RELEASE_INVALID', `${origin}: not gzip: ${(err as Error).message}`, { index: origin });
  }
  return parseDeb822(text)
    .map((s) => packageFromStanza(s, origin))
    .filter((p): p is Package => p !== undefined);
}

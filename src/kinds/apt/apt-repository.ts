import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { FerryError } from '../../core/errors.js';
import { oneLine, quoteUntrusted } from '../../validate/untrusted-text.js';

/** A Packages stanza as the archive wrote it, with the identity used to find it. */
export interface RawStanza {
  name: string;
  version: string;
  architecture: string;
  text: string;
}

/** Splits Packages text into stanzas, keeping each one's text as written (field order and case). */
export function rawStanzas(text: string): RawStanza[] {
  return text
    .split(/\r?\n[ \t]*\r?\n/)
    .map((t) => t.replace(/^\s+|\s+$/g, ''))
    .filter((t) => t !== '')
    .map((t) => {
      const get = (f: string) => new RegExp(`^${f}:[ \\t]*(.*)$`, 'mi').exec(t)?.[1]?.trim() ?? '';
      return { name: get('Package'), version: get('Version'), architecture: get('Architecture'), text: t };
    });
}

export interface RepoFile {
  path: string;
  body: Buffer;
}

/**
 * The index files of a one-suite repository (Debian wiki DebianRepository/Format): per architecture
 * `dists/<suite>/main/binary-<arch>/Packages` and `.gz` (architecture `all` packages listed in every architecture),
 * and a `Release` with the size and SHA256 of each. Each stanza is the upstream one with its Filename pointing into
 * this repository's pool.
 */
export function buildRepoIndexes(opts: {
  suite: string;
  architectures: string[];
  stanzas: { stanza: RawStanza; filename: string }[];
  description: string;
  date: Date;
}): { files: RepoFile[]; release: Buffer } {
  const files: RepoFile[] = [];
  for (const arch of opts.architectures) {
    const text = opts.stanzas
      .filter(({ stanza }) => stanza.architecture === arch || stanza.architecture === 'all')
      .sort((a, b) => (a.filename < b.filename ? -1 : 1))
      .map(({ stanza, filename }) => `${withFilename(stanza.text, filename)}\n`)
      .join('\n');
    const packages = Buffer.from(text);
    files.push(
      { path: `main/binary-${arch}/Packages`, body: packages },
      { path: `main/binary-${arch}/Packages.gz`, body: gzipSync(packages, { level: 9 }) },
    );
  }
  for (const arch of opts.architectures) {
    // Each architecture is one path segment of dists/ (binary-<arch>); stage-apt writes through safeJoin as well.
    if (!/^[a-z0-9][a-z0-9-]*$/.test(arch))
      throw new FerryError('UNSAFE_VALUE', `apt architecture ${quoteUntrusted(arch)} is not a Debian architecture name: refused`, {
        architecture: arch,
      });
  }
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const release = [
    'Origin: ferry',
    'Label: ferry',
    `Suite: ${opts.suite}`,
    `Codename: ${opts.suite}`,
    `Date: ${opts.date.toUTCString()}`,
    `Architectures: ${opts.architectures.join(' ')}`,
    'Components: main',
    `Description: ${opts.description}`,
    'SHA256:',
    ...files.map((f) => ` ${sha(f.body)} ${String(f.body.length).padStart(10)} ${f.path}`),
    '',
  ].join('\n');
  return { files, release: Buffer.from(release) };
}

/** The stanza with exactly one Filename field, ours: a second upstream Filename line must not survive next to it. */
function withFilename(text: string, filename: string): string {
  let placed = false;
  const lines = text.split(/\r?\n/).flatMap((line) => {
    if (!/^Filename:/i.test(line)) return [line];
    if (placed) return [];
    placed = true;
    return [`Filename: ${oneLine(filename, 'pool file name')}`];
  });
  return lines.join('\n');
}

/**
 * Signs a Release with an OpenPGP private key (ASCII-armoured, without passphrase): InRelease (cleartext signature)
 * and Release.gpg (detached, armoured), which apt accepts with `signed-by=` pointing at the public key.
 */
export async function signRelease(
  release: Buffer,
  armoredKey: string,
): Promise<{ inRelease: Buffer; releaseGpg: Buffer; publicKey: Buffer; fingerprint: string }> {
  const o = await import('openpgp');
  const key = await o.readPrivateKey({ armoredKey });
  if (!key.isDecrypted()) throw new Error('the signing key is passphrase-protected; give an unprotected key (or a dedicated one)');
  const inRelease = await o.sign({ message: await o.createCleartextMessage({ text: release.toString('utf8') }), signingKeys: key });
  const detached = await o.sign({
    message: await o.createMessage({ binary: release }),
    signingKeys: key,
    detached: true,
    format: 'armored',
  });
  return {
    inRelease: Buffer.from(inRelease),
    releaseGpg: Buffer.from(detached),
    publicKey: Buffer.from(key.toPublic().armor()),
    fingerprint: key.getFingerprint().toUpperCase(),
  };
}

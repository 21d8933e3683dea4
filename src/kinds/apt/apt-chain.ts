import { LOCK_FILE, aptMetaRefName, blobPath } from '../../bundle/format.js';
import { parseMemberJson } from '../../bundle/member-json.js';
import { sha256 } from '../../core/digest.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../core/media-types.js';
import { uncompressedPath } from './index-form.js';
import { parseReleaseFile } from './release-file.js';
import { readKeyring, verifyRelease } from './release-signature.js';
import { indexStanzaBuffers } from './index-stanzas.js';
import { type StanzaIdentity, stanzaFields, stanzaIdentity } from './stanza-bytes.js';
import type { LockedAptSource } from './schema.js';
import type { Problem } from '../../core/problem.js';
import type { Read, ReadStream } from '../facets/pins.js';

/** The fields of a stanza that pin its .deb. */
const PINNED = ['sha256', 'size'] as const;

/**
 * The apt chain, re-checked offline from what the bundle carries (each .deb against its pin is verify/pin-check.ts):
 * each signed Release verified again with the bundled keyring (its signers must include those the lock recorded);
 * each Packages index with the size and SHA256 the signed Release lists; each .deb's sha256 and size as its
 * Packages stanza gives them. Valid-Until is not checked here: a bundle is verified after its Releases expire.
 * With `stream`, each index is read through as it is decoded, never held: memory stays flat whatever its size.
 */
export async function checkAptChain(
  sources: readonly LockedAptSource[],
  entries: Descriptor[],
  read: Read,
  stream?: ReadStream,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const bad = (message: string) => problems.push({ path: LOCK_FILE, code: 'APT_CHAIN', message });
  const metas = new Map(
    entries.filter((d) => d.annotations?.[Annotation.Kind] === 'apt-meta').map((d) => [d.annotations?.[Annotation.RefName] ?? '', d]),
  );
  const manifestOf = async (d: Descriptor) => {
    const body = await read(d.digest.slice(7));
    return body ? parseMemberJson<ImageManifest>(body, blobPath(d.digest.slice(7))) : undefined;
  };
  for (const [i, source] of sources.entries()) {
    const meta = metas.get(aptMetaRefName(i));
    const m = meta ? await manifestOf(meta) : undefined;
    if (!m) {
      bad(`apt source ${source.url}: its metadata (keyring, Release files, Packages indexes) is not in the bundle`);
      continue;
    }
    const layerOf = (path: string) => m.layers.find((l) => l.annotations?.[Annotation.Title] === path);
    const file = async (path: string) => {
      const layer = layerOf(path);
      return layer ? read(layer.digest.slice(7)) : undefined;
    };
    const keyring = await file('keyring.gpg');
    if (!keyring) {
      bad(`apt source ${source.url}: no keyring in the bundle`);
      continue;
    }
    const keys = await readKeyring(keyring, 'bundled keyring');
    const stanzas = new Map<string, { sha256?: string; size?: number }>();
    const wanted = new Set(source.debs.map((d) => `${d.suite} ${d.index} ${d.name} ${d.version} ${d.architecture}`));
    for (const r of source.releases) {
      const signed = await file(`dists/${r.suite}/${r.file}`);
      const signature = r.file === 'Release' ? await file(`dists/${r.suite}/Release.gpg`) : undefined;
      if (!signed || (r.file === 'Release' && !signature)) {
        bad(`apt source ${source.url}: dists/${r.suite}/${r.file} is not in the bundle`);
        continue;
      }
      try {
        const v = await verifyRelease(
          r.file === 'InRelease' ? { inRelease: signed } : { release: signed, signature: signature as Buffer },
          keys,
          `bundled dists/${r.suite}/${r.file}`,
        );
        if (!r.signedBy.every((fp) => v.signedBy.includes(fp)))
          bad(`dists/${r.suite}/${r.file}: signed by ${v.signedBy.join(', ')}, the lock recorded ${r.signedBy.join(', ')}`);
        const release = parseReleaseFile(v.text, `dists/${r.suite}/${r.file}`);
        for (const idx of r.indexes) {
          const listed = release.sha256.get(idx.path);
          const layer = layerOf(`dists/${r.suite}/${idx.path}`);
          const hex = layer?.digest.slice(7);
          const body = hex === undefined ? undefined : stream ? stream(hex) : await read(hex);
          if (!listed || !layer || !body) {
            bad(`dists/${r.suite}/${idx.path}: ${listed ? 'not in the bundle' : 'not listed in the signed Release'}`);
            continue;
          }
          // The bundle holds the layer's bytes under their digest (verify's scan hashed them; a stream hashes them again
          // as it passes, a held copy is hashed here): compared with the signed Release before a byte is decoded.
          if (Buffer.isBuffer(body) && sha256(body) !== layer.digest) {
            bad(`dists/${r.suite}/${idx.path}: its bytes in the bundle do not hash to ${layer.digest}`);
            continue;
          }
          if (hex !== listed.sha256 || layer.size !== listed.size) {
            bad(
              `dists/${r.suite}/${idx.path}: sha256 ${hex} (${layer.size} bytes), the signed Release says ${listed.sha256} (${listed.size} bytes)`,
            );
            continue;
          }
          // Decompressed (xz, gz or plain, by its path) as it is read, within the size the signed Release lists for the
          // uncompressed index (a bomb stops there); only the stanzas of the locked debs are looked at past their
          // Package, Version and Architecture lines.
          const uncompressed = release.sha256.get(uncompressedPath(idx.path))?.size;
          const src = {
            file: `dists/${r.suite}/${idx.path}`,
            release: { file: r.file, at: `bundled dists/${r.suite}/${r.file}` },
            path: idx.path,
            ...(uncompressed !== undefined ? { uncompressedSize: uncompressed } : {}),
          };
          const key = (p: StanzaIdentity) => `${r.suite} ${idx.path} ${p.name} ${p.version} ${p.architecture}`;
          const found = new Map<string, { sha256?: string; size?: number }>();
          for await (const text of indexStanzaBuffers(body, src)) {
            const id = stanzaIdentity(text);
            if (!id || !wanted.has(key(id))) continue;
            const f = stanzaFields(text, PINNED);
            const size = f.get('size');
            found.set(key(id), {
              ...(f.get('sha256') ? { sha256: (f.get('sha256') as string).toLowerCase() } : {}),
              ...(size !== undefined && /^\d+$/.test(size) ? { size: Number(size) } : {}),
            });
          }
          // Read to its end, so its bytes hashed to the digest: only now do its stanzas count.
          for (const [k, v] of found) stanzas.set(k, v);
        }
      } catch (err) {
        bad(`dists/${r.suite}/${r.file}: ${(err as Error).message}`);
      }
    }
    for (const deb of source.debs) {
      const st = stanzas.get(`${deb.suite} ${deb.index} ${deb.name} ${deb.version} ${deb.architecture}`);
      if (!st) bad(`apt package ${deb.file}: no stanza for ${deb.name} ${deb.version} in the bundled dists/${deb.suite}/${deb.index}`);
      else if (st.sha256 !== deb.sha256 || st.size !== deb.size)
        bad(
          `apt package ${deb.file}: the signed index says sha256 ${st.sha256} (${st.size} bytes), the lock ${deb.sha256} (${deb.size} bytes)`,
        );
    }
  }
  return problems;
}

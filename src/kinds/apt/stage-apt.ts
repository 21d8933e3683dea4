import type { LockedAptSource } from './schema.js';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { indexStanzaBuffers } from './index-stanzas.js';
import { stanzaIdentity } from './stanza-bytes.js';
import { isIndexPath } from './index-form.js';
import type { BundleReader } from '../../bundle/reader.js';
import { FerryError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { Annotation, type ImageManifest } from '../../core/media-types.js';
import { verifiedStream } from '../../core/digest.js';
import { type StagedFile, copyLayerOut } from '../../bundle/copy-out.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { type RawStanza, buildRepoIndexes, signRelease } from './apt-repository.js';
import { aptReadme, aptSources } from './apt-readme.js';
import { readMemberJson } from '../../bundle/member-json.js';
import { debianArchProblem, poolFileProblem } from '../../validate/grammar.js';
import { safeJoin } from '../../validate/safe-join.js';
import { oneLine, quoteUntrusted } from '../../validate/untrusted-text.js';

export const STAGED_SUITE = 'ferry';

/** The SHA256 a stanza gives its deb (lower case), or '' when it gives none. */
const sha256Of = (text: string) => /^SHA256:[ \t]*([0-9a-fA-F]{64})[ \t]*$/m.exec(text)?.[1]?.toLowerCase() ?? '';
export const NODE_APT_DIR = '/opt/ferry/apt';

export interface StagedApt {
  dir: string;
  debs: StagedFile[];
  signedBy?: string;
}

/**
 * `DIR/apt/`: a repository the nodes use as is — `pool/main/` with the debs, `dists/ferry/main/binary-<arch>/
 * Packages(.gz)` built from the upstream stanzas, a `Release`, signed into `InRelease` and `Release.gpg` with
 * `--apt-sign-key` (else documented for `[trusted=yes]`), plus `ferry.sources` (deb822) and a README.
 */
export async function stageApt(
  reader: BundleReader,
  sources: readonly LockedAptSource[],
  root: string,
  events: EventSink,
  signKey?: string,
): Promise<StagedApt | undefined> {
  const entries = reader.index().manifests;
  const debEntries = entries.filter((d) => d.annotations?.[Annotation.Kind] === 'apt');
  if (debEntries.length === 0) return undefined;
  const dir = join(root, 'apt');
  const pool = join(dir, 'pool', 'main');
  await fs.mkdir(pool, { recursive: true });

  // Upstream stanzas of the locked debs, from the bundled (verified) Packages indexes (xz, gz or plain), read through
  // as they are decoded within a cap: only a stanza whose Package, Version and Architecture name a locked deb is kept.
  const wanted = new Set(sources.flatMap((s) => s.debs).map((d) => `${d.name} ${d.version} ${d.architecture}`));
  const stanzas = new Map<string, RawStanza>();
  for (const meta of entries.filter((d) => d.annotations?.[Annotation.Kind] === 'apt-meta')) {
    const m = await readMemberJson<ImageManifest>(reader, meta, 'apt metadata');
    for (const layer of m.layers.filter((l) => isIndexPath(l.annotations?.[Annotation.Title] ?? ''))) {
      const title = layer.annotations?.[Annotation.Title] ?? '';
      const found: RawStanza[] = [];
      const body = verifiedStream(await reader.fetch(layer), { digest: layer.digest, size: layer.size, subject: title });
      for await (const bytes of indexStanzaBuffers(body, { file: title, path: title })) {
        const id = stanzaIdentity(bytes);
        if (id && wanted.has(`${id.name} ${id.version} ${id.architecture}`)) found.push({ ...id, text: bytes.toString('utf8').trim() });
      }
      // The layer was read to its end and hashed to its digest: only now do its stanzas count.
      // Keyed by the deb's SHA256 too: two archives may list one name, version and architecture with other bytes.
      for (const s of found) stanzas.set(`${s.name} ${s.version} ${s.architecture} ${sha256Of(s.text)}`, s);
    }
  }
  const debs: StagedFile[] = [];
  for (const desc of debEntries) {
    const m = await readMemberJson<ImageManifest>(reader, desc, 'apt package');
    events({ type: 'artifact-start', kind: 'apt', name: desc.annotations?.[Annotation.Title] ?? desc.digest });
    const staged = await copyLayerOut(reader, desc, m, pool, events);
    debs.push(staged);
    events({ type: 'artifact-done', kind: 'apt', name: staged.name, digest: `sha256:${staged.sha256}` });
  }
  const all = sources.flatMap((s) => s.debs);
  const chosen = all.map((d) => {
    const stanza = stanzas.get(`${d.name} ${d.version} ${d.architecture} ${d.sha256}`);
    if (!stanza) throw new FerryError('BUNDLE_INVALID', `no Packages stanza for ${d.name} ${d.version} in the bundle`, { package: d.name });
    // The staged Filename: names a file in this pool, nothing else (the gate checked it; this keeps it so here).
    const why = poolFileProblem(d.file);
    if (why)
      throw new FerryError('UNSAFE_VALUE', `apt package ${d.name}: file ${quoteUntrusted(d.file)} ${why}: refused, nothing was written`, {
        package: d.name,
      });
    return { stanza, filename: `pool/main/${d.file}` };
  });
  const architectures = [...new Set(sources.flatMap((s) => s.architectures))].sort();
  for (const arch of architectures) {
    const why = debianArchProblem(arch);
    if (why)
      throw new FerryError('UNSAFE_VALUE', `apt architecture ${quoteUntrusted(arch)} ${why}: refused, nothing was written`, {
        architecture: arch,
      });
  }
  const { files, release } = buildRepoIndexes({
    suite: STAGED_SUITE,
    architectures,
    stanzas: chosen,
    description: `apt packages staged by ferry from bundle ${oneLine(reader.meta.name, 'bundle name')}`,
    date: new Date(),
  });
  const dists = join(dir, 'dists', STAGED_SUITE);
  for (const f of files) {
    const path = safeJoin(dists, f.path);
    await fs.mkdir(join(path, '..'), { recursive: true });
    await writeFileAtomic(path, f.body);
  }
  await writeFileAtomic(join(dists, 'Release'), release);
  let signedBy: string | undefined;
  if (signKey) {
    let signed: Awaited<ReturnType<typeof signRelease>>;
    try {
      signed = await signRelease(release, await fs.readFile(signKey, 'utf8'));
    } catch (err) {
      throw new FerryError('USAGE', `--apt-sign-key ${signKey}: ${(err as Error).message}`, { key: signKey });
    }
    await writeFileAtomic(join(dists, 'InRelease'), signed.inRelease);
    await writeFileAtomic(join(dists, 'Release.gpg'), signed.releaseGpg);
    await writeFileAtomic(join(dir, 'ferry-apt.asc'), signed.publicKey);
    signedBy = signed.fingerprint;
  } else {
    for (const f of ['InRelease', 'Release.gpg', '../../ferry-apt.asc']) await fs.rm(join(dists, f), { force: true });
  }
  const requested = [...new Set(sources.flatMap((s) => s.packages))];
  await writeFileAtomic(
    join(dir, 'ferry.sources'),
    Buffer.from(aptSources({ nodeDir: NODE_APT_DIR, suite: STAGED_SUITE, architectures, signed: signedBy !== undefined })),
  );
  await writeFileAtomic(
    join(dir, 'README.md'),
    Buffer.from(aptReadme({ nodeDir: NODE_APT_DIR, requested, debs: debs.length, signedBy, bundle: reader.meta.name })),
  );
  return { dir, debs, ...(signedBy ? { signedBy } : {}) };
}

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { BundleReader } from '../../bundle/reader.js';
import type { EventSink } from '../../core/events.js';
import { Annotation, type Descriptor, type ImageManifest } from '../../core/media-types.js';
import { parseReference } from '../../core/reference.js';
import { IMAGE_TOC_MEDIA_TYPE, parseArchiveToc } from '../../docker-archive/image-toc.js';
import { readVerified } from '../../graph/copy.js';
import { type StagedFile, copyLayerOut } from '../../bundle/copy-out.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { type NodeRegistry, containerdTemplate, registriesYaml } from './registry-config.js';
import { nodeReadme } from './node-readme.js';
import { readMemberJson } from '../../bundle/member-json.js';

export interface StagedRke2 {
  dir: string;
  version: string;
  files: StagedFile[];
  /** Upstream registries of the bundle's images, each given a mirror in registries.yaml. */
  upstreams: string[];
  registriesYaml: boolean;
}

/**
 * `DIR/rke2/`: exactly what install.sh reads with INSTALL_RKE2_ARTIFACT_PATH=DIR/rke2 (upstream file names and the
 * upstream sha256sum-<arch>.txt), plus install.sh; the `.txt` image lists in `DIR/rke2/image-lists/` (install.sh
 * copies every rke2-images-* file beside the tarballs into the images directory, and RKE2 pulls what a .txt there
 * names); registries.yaml and config.toml.tmpl for the enclave registry; a README with the node commands.
 */
export async function stageRke2(
  reader: BundleReader,
  root: string,
  events: EventSink,
  registry?: NodeRegistry & { caFile?: string },
): Promise<StagedRke2 | undefined> {
  const entries = reader.index().manifests.filter((d) => d.annotations?.[Annotation.Kind] === 'rke2');
  if (entries.length === 0) return undefined;
  const dir = join(root, 'rke2');
  await fs.mkdir(join(dir, 'image-lists'), { recursive: true });
  const files: StagedFile[] = [];
  const archiveRefs: string[] = [];
  let version = '';
  let arch = 'amd64';
  for (const desc of entries) {
    const a = desc.annotations ?? {};
    const role = a[Annotation.Rke2Role];
    version = a[Annotation.Rke2Version] ?? version;
    const artifact = await readMemberJson<ImageManifest>(reader, desc, `RKE2 file ${a[Annotation.Title]}`);
    const target = role === 'image-list' ? join(dir, 'image-lists') : dir;
    events({ type: 'artifact-start', kind: 'rke2', name: a[Annotation.Title] ?? desc.digest });
    const staged = await copyLayerOut(reader, desc, artifact, target, events);
    if (role === 'install-script') await fs.chmod(staged.path, 0o755);
    if (role === 'checksums') arch = /^sha256sum-([a-z0-9][a-z0-9-]*)\.txt$/.exec(staged.name)?.[1] ?? arch;
    files.push({ ...staged, role: role ?? '' });
    events({ type: 'artifact-done', kind: 'rke2', name: staged.name, digest: `sha256:${staged.sha256}` });
    const toc = artifact.layers[1];
    if (role === 'images' && toc?.mediaType === IMAGE_TOC_MEDIA_TYPE) {
      archiveRefs.push(
        ...parseArchiveToc(await readVerified(reader, toc, `table of contents of ${staged.name}`)).images.flatMap((i) => i.refs),
      );
    }
  }
  const upstreams = upstreamRegistries(reader.index().manifests, archiveRefs);
  let caName: string | undefined;
  if (registry) {
    if (registry.caFile) {
      caName = 'registry-ca.pem';
      await writeFileAtomic(join(dir, caName), await fs.readFile(registry.caFile));
    }
    const reg: NodeRegistry = { ...registry, ...(caName ? { caFileOnNode: `/etc/rancher/rke2/${caName}` } : {}) };
    // Credentials in these two files are what the nodes need to pull; keep them readable by root only.
    const mode = registry.username !== undefined ? 0o600 : 0o644;
    await writeFileAtomic(join(dir, 'registries.yaml'), Buffer.from(registriesYaml(upstreams, reg)), mode);
    await writeFileAtomic(join(dir, 'config.toml.tmpl'), Buffer.from(containerdTemplate(upstreams, reg)), mode);
  }
  const tarballs = files
    .filter((f) => f.role === 'images')
    .map((f) => f.name)
    .sort();
  const readme = nodeReadme({
    version,
    arch,
    bundleName: reader.meta.name,
    imageTarballs: tarballs,
    allInOne: tarballs.some((t) => t.startsWith(`rke2-images.linux-`)),
    installScript: files.some((f) => f.role === 'install-script'),
    registriesYaml: registry !== undefined,
    ...(caName ? { caFile: caName } : {}),
    ...(registry ? { registryHost: registry.host, registryPrefix: registry.prefix } : {}),
  });
  await writeFileAtomic(join(dir, 'README.md'), Buffer.from(readme));
  return { dir, version, files, upstreams, registriesYaml: registry !== undefined };
}

/** Registries the bundle's images come from: spec.images and the images inside the RKE2 tarballs. */
function upstreamRegistries(index: Descriptor[], archiveRefs: string[]): string[] {
  const refs = [...archiveRefs];
  for (const d of index) {
    const name = d.annotations?.[Annotation.Kind] === 'image' ? d.annotations?.[Annotation.ContainerdName] : undefined;
    if (name) refs.push(name);
  }
  return [...new Set(refs.map((r) => parseReference(r).registry))].sort();
}

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

/**
 * docker-save archives built byte by byte for tests, in the three forms RKE2 image tarballs come in (the reference
 * notes, A9): classic `docker save` (manifest.json, repositories, <config>.json, <id>/layer.tar), Docker >= 25 (the
 * same archive is also an OCI layout: oci-layout, index.json, blobs/sha256/…, plus legacy symlinks), and crane's
 * tarball (manifest.json only, `sha256:<hex>` config, gzip layers named `<hex>.tar.gz`).
 */
export type SaveFormat = 'classic' | 'oci' | 'crane';

export interface SaveImage {
  /** As written in the release's .txt list: `docker.io/rancher/hardened-etcd:v3.5.13-k3s1`. */
  ref: string;
  /** Uncompressed layer tars. */
  layers: Buffer[];
}

type Member = { path: string; body: Buffer } | { path: string; symlink: string };

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function tarOf(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const isLink = 'symlink' in m;
    const h = new Header({
      path: m.path,
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: isLink ? 0 : m.body.length,
      mtime: new Date(0),
      type: isLink ? 'SymbolicLink' : 'File',
      ...(isLink ? { linkpath: m.symlink } : {}),
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    parts.push(block);
    if (!isLink) {
      parts.push(m.body, Buffer.alloc((512 - (m.body.length % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A small real layer: one file whose content is derived from `seed`. */
export function layerTar(seed: string, bytes = 2048): Buffer {
  const body = Buffer.alloc(bytes);
  let h = createHash('sha256').update(seed).digest();
  for (let off = 0; off < bytes; off += 32) {
    h.copy(body, off);
    h = createHash('sha256').update(h).digest();
  }
  return tarOf([{ path: `data/${seed.replace(/[^a-z0-9]/gi, '_')}.bin`, body }]);
}

/** Familiar name, as `docker save` writes RepoTags: no docker.io/, no library/. */
export function familiar(ref: string): string {
  return ref.replace(/^docker\.io\//, '').replace(/^library\//, '');
}

function configFor(image: SaveImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/true'], Labels: { 'test.ref': image.ref } },
      rootfs: { type: 'layers', diff_ids: image.layers.map((l) => `sha256:${hex(l)}`) },
    }),
  );
}

/** The uncompressed archive. Members come in the order RKE2's repack uses: manifest.json and repositories first. */
export function dockerSave(images: SaveImage[], format: SaveFormat): Buffer {
  const head: Member[] = [];
  const rest: Member[] = [];
  const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const index: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[] = [];
  const written = new Set<string>();
  const add = (m: Member) => {
    if (written.has(m.path)) return;
    written.add(m.path);
    rest.push(m);
  };
  for (const image of images) {
    const config = configFor(image);
    const tag = familiar(image.ref);
    const [repo, version] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
    if (format === 'classic') {
      const ids = image.layers.map((l, i) => hex(Buffer.concat([Buffer.from(`${i}`), l])));
      image.layers.forEach((l, i) => {
        add({ path: `${ids[i]}/VERSION`, body: Buffer.from('1.0') });
        add({ path: `${ids[i]}/json`, body: Buffer.from(JSON.stringify({ id: ids[i] })) });
        add({ path: `${ids[i]}/layer.tar`, body: l });
      });
      add({ path: `${hex(config)}.json`, body: config });
      manifest.push({ Config: `${hex(config)}.json`, RepoTags: [tag], Layers: ids.map((id) => `${id}/layer.tar`) });
      (repositories[repo] ??= {})[version] = ids[ids.length - 1] as string;
    } else if (format === 'oci') {
      const layerDescs = image.layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: `sha256:${hex(l)}`,
        size: l.length,
      }));
      const m = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${hex(config)}`, size: config.length },
          layers: layerDescs,
        }),
      );
      for (const l of image.layers) {
        add({ path: `blobs/sha256/${hex(l)}`, body: l });
        add({ path: `${hex(l)}/layer.tar`, symlink: `../blobs/sha256/${hex(l)}` });
      }
      add({ path: `blobs/sha256/${hex(config)}`, body: config });
      add({ path: `blobs/sha256/${hex(m)}`, body: m });
      index.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${hex(m)}`,
        size: m.length,
        annotations: { 'io.containerd.image.name': image.ref, 'org.opencontainers.image.ref.name': version },
      });
      manifest.push({ Config: `blobs/sha256/${hex(config)}`, RepoTags: [tag], Layers: image.layers.map((l) => `blobs/sha256/${hex(l)}`) });
      (repositories[repo] ??= {})[version] = hex(image.layers[image.layers.length - 1] as Buffer);
    } else {
      const gz = image.layers.map((l) => gzipSync(l, { level: 1 }));
      gz.forEach((g) => add({ path: `${hex(g)}.tar.gz`, body: g }));
      add({ path: `sha256:${hex(config)}`, body: config });
      manifest.push({ Config: `sha256:${hex(config)}`, RepoTags: [tag], Layers: gz.map((g) => `${hex(g)}.tar.gz`) });
    }
  }
  head.push({ path: 'manifest.json', body: Buffer.from(JSON.stringify(manifest)) });
  if (format !== 'crane') head.push({ path: 'repositories', body: Buffer.from(JSON.stringify(repositories)) });
  if (format === 'oci') {
    head.push({ path: 'oci-layout', body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') });
    head.push({
      path: 'index.json',
      body: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index })),
    });
  }
  return tarOf([...head, ...rest]);
}

/** zstd as RKE2 compresses its image tarballs (`zstd --long=25`), with the real zstd CLI. */
export async function zstd(data: Buffer): Promise<Buffer> {
  const child = execFile('zstd', ['-q', '-c', '-3', '--long=25'], { encoding: 'buffer', maxBuffer: 1 << 30 });
  const out = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`zstd exited ${code}`))));
  });
  child.stdin?.end(data);
  return out;
}

export const gzip = (data: Buffer): Buffer => gzipSync(data, { level: 1 });

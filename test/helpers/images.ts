import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import type { TestRegistry } from './registry.js';

/**
 * Test images built from scratch: real tar layers with deterministic pseudo-random content, valid configs,
 * OCI or Docker manifests and indexes. Seeding uses plain fetch() against the registry — deliberately not
 * ferry's own client, so the tests do not check ferry against itself.
 */
export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  /** Small blobs live in memory, big ones in a temp file. */
  data?: Buffer;
  path?: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Image {
  manifest: Blob & { data: Buffer };
  config: Blob;
  layers: Blob[];
  platform: Platform;
}

export interface Index {
  manifest: Blob & { data: Buffer };
  children: { image: Image; platform: Platform }[];
  extra: Blob[];
}

export type Flavour = 'oci' | 'docker';

const MT = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    tar: 'application/vnd.oci.image.layer.v1.tar',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    tar: 'application/vnd.docker.image.rootfs.diff.tar',
  },
} as const;

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Deterministic bytes: AES-256-CTR keystream of a seed (fast, and the same seed always gives the same bytes). */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([c.update(Buffer.alloc(size)), c.final()]);
}

function tarOf(name: string, content: Buffer): Buffer {
  const h = new Header({ path: name, mode: 0o644, size: content.length, mtime: new Date(0), type: 'File', uid: 0, gid: 0 });
  const header = Buffer.alloc(512);
  h.encode(header, 0);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

const BIG = 8 << 20;

/** A layer: a tar holding one file of `size` seeded bytes; gzip (level 1) or plain. Big layers go to a temp file. */
export async function makeLayer(opts: {
  seed: string;
  size: number;
  gzip?: boolean;
  flavour?: Flavour;
}): Promise<Blob & { diffId: string }> {
  const flavour = opts.flavour ?? 'oci';
  const tar = tarOf(`data/${opts.seed.replace(/[^a-z0-9]/gi, '_')}.bin`, seededBytes(opts.seed, opts.size));
  const diffId = sha(tar);
  const data = opts.gzip ? gzipSync(tar, { level: 1 }) : tar;
  const blob = { mediaType: opts.gzip ? MT[flavour].gzip : MT[flavour].tar, digest: sha(data), size: data.length, diffId };
  if (data.length < BIG) return { ...blob, data };
  const path = join(mkdtempSync(join(tmpdir(), 'ferry-layer-')), 'layer');
  await pipeline(Readable.from([data]), createWriteStream(path));
  return { ...blob, path };
}

function jsonBlob(mediaType: string, value: unknown): Blob & { data: Buffer } {
  const data = Buffer.from(JSON.stringify(value));
  return { mediaType, digest: sha(data), size: data.length, data };
}

const desc = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });

export function makeImage(opts: { layers: (Blob & { diffId: string })[]; flavour?: Flavour; platform?: Platform; label?: string }): Image {
  const flavour = opts.flavour ?? 'oci';
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = jsonBlob(MT[flavour].config, {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Labels: { 'dev.ferry.test': opts.label ?? 'fixture' } },
    rootfs: { type: 'layers', diff_ids: opts.layers.map((l) => l.diffId) },
  });
  const manifest = jsonBlob(MT[flavour].manifest, {
    schemaVersion: 2,
    mediaType: MT[flavour].manifest,
    config: desc(config),
    layers: opts.layers.map(desc),
  });
  return { manifest, config, layers: opts.layers, platform };
}

export function makeIndex(opts: { children: Image[]; flavour?: Flavour; attestation?: boolean }): Index {
  const flavour = opts.flavour ?? 'oci';
  const extra: Blob[] = [];
  const entries: unknown[] = opts.children.map((c) => ({ ...desc(c.manifest), platform: c.platform }));
  if (opts.attestation) {
    // What buildx adds: an in-toto manifest on platform unknown/unknown that refers to the first image.
    const att = jsonBlob('application/vnd.in-toto+json', { predicateType: 'https://slsa.dev/provenance/v0.2' });
    const cfg = jsonBlob(MT.oci.config, { architecture: 'unknown', os: 'unknown', rootfs: { type: 'layers', diff_ids: [] } });
    const m = jsonBlob(MT.oci.manifest, { schemaVersion: 2, mediaType: MT.oci.manifest, config: desc(cfg), layers: [desc(att)] });
    extra.push(att, cfg, m);
    entries.push({
      ...desc(m),
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.type': 'attestation-manifest',
        'vnd.docker.reference.digest': opts.children[0]?.manifest.digest,
      },
    });
  }
  const manifest = jsonBlob(MT[flavour].index, { schemaVersion: 2, mediaType: MT[flavour].index, manifests: entries });
  return { manifest, children: opts.children.map((image) => ({ image, platform: image.platform })), extra };
}

/** Every blob and manifest of an image or index, children before parents. */
export function allBlobs(x: Image | Index): Blob[] {
  if ('children' in x) {
    const out: Blob[] = [];
    for (const c of x.children) out.push(...allBlobs(c.image));
    const extraManifests = x.extra.filter((b) => b.mediaType.includes('manifest'));
    out.push(...x.extra.filter((b) => !b.mediaType.includes('manifest')), ...extraManifests, x.manifest);
    return out;
  }
  return [x.config, ...x.layers, x.manifest];
}

function authHeader(reg: TestRegistry): Record<string, string> {
  return reg.username ? { authorization: `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}` } : {};
}

/** Uploads an image or index with plain fetch() (POST + monolithic PUT), then tags the root. */
export async function seed(reg: TestRegistry, repo: string, tag: string, x: Image | Index): Promise<void> {
  const auth = authHeader(reg);
  for (const b of allBlobs(x)) {
    if (b.mediaType.includes('manifest') || b.mediaType.includes('index')) {
      if (b === x.manifest) continue;
      await putManifest(reg, repo, b.digest, b);
      continue;
    }
    const head = await fetch(`${reg.url}/v2/${repo}/blobs/${b.digest}`, { method: 'HEAD', headers: auth });
    if (head.status === 200) continue;
    const post = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth });
    if (post.status !== 202) throw new Error(`seed ${repo}: POST upload → ${post.status}`);
    const loc = new URL(post.headers.get('location') as string, reg.url);
    loc.searchParams.set('digest', b.digest);
    const body = b.data ?? (Readable.toWeb(createReadStream(b.path as string)) as unknown as ReadableStream);
    const put = await fetch(loc, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    if (put.status !== 201) throw new Error(`seed ${repo}: PUT blob ${b.digest} → ${put.status} ${await put.text()}`);
  }
  await putManifest(reg, repo, x.manifest.digest, x.manifest);
  await putManifest(reg, repo, tag, x.manifest);
}

async function putManifest(reg: TestRegistry, repo: string, ref: string, b: Blob): Promise<void> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    headers: { ...authHeader(reg), 'content-type': b.mediaType },
    body: new Uint8Array(b.data as Buffer),
  });
  if (res.status !== 201) throw new Error(`seed ${repo}:${ref} manifest → ${res.status} ${await res.text()}`);
}

export function fileSize(b: Blob): number {
  return b.data ? b.data.length : statSync(b.path as string).size;
}

/** Writes an image as an OCI image layout directory (for seeding through skopeo, an independent client). */
export async function writeOciLayout(dir: string, x: Image | Index, tag: string): Promise<void> {
  const { mkdirSync, writeFileSync, copyFileSync } = await import('node:fs');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of allBlobs(x)) {
    const to = join(dir, 'blobs', 'sha256', b.digest.slice(7));
    if (b.data) writeFileSync(to, b.data);
    else copyFileSync(b.path as string, to);
  }
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const root = { ...desc(x.manifest), annotations: { 'org.opencontainers.image.ref.name': tag } };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [root] }));
}

/**
 * Puts an image into a registry with skopeo, an independent client doing its own auth (a token flow too: async,
 * so a token server running in this process can answer). `dest` is `HOST/REPO:TAG`, `creds` is `USER:PASSWORD`.
 */
export async function seedWithSkopeo(dir: string, x: Image | Index, dest: string, creds: string): Promise<void> {
  await writeOciLayout(dir, x, 'v1');
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  await promisify(execFile)('skopeo', [
    'copy',
    '--preserve-digests',
    '--dest-tls-verify=false',
    '--dest-creds',
    creds,
    `oci:${dir}:v1`,
    `docker://${dest}`,
  ]);
}

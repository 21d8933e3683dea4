/**
 * The RKE2-shaped release of the bench (docs/performance.md "RKE2 release"): BENCH_RKE2_IMAGES images (default 8;
 * one shared base layer, a fifth of the bytes, plus one layer of its own each; random content) in a classic
 * docker-save archive of about BENCH_RKE2_MIB MiB (default 1024), compressed with the zstd CLI as RKE2 does
 * (`--long=25`), served as the all-in-one tarball of a release on loopback beside its .txt list, the binary
 * tarball and sha256sum-<arch>.txt (laid out as test/helpers/rke2-release.ts does).
 *
 * ferry pulls the release (against `curl` downloading the same tarball: skopeo cannot fetch a release) and pushes
 * its images from the bundle; skopeo cannot read .tar.zst, so its push copies the same images from the
 * uncompressed docker-archive, one `skopeo copy` per image (it has no decompression to do).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type SaveImage, dockerSave, gzip, tarOf } from '../test/helpers/docker-save.js';
import { startFileHost } from '../test/helpers/file-host.js';
import { seededBytes } from '../test/helpers/images.js';
import { type TestRegistry, startRegistry } from '../test/helpers/registry.js';
import { type Measured, MiB, median, noop, timed } from './measure.js';

const exec = promisify(execFile);
const VERSION = 'v1.30.4+rke2r1';
const ARCH = 'amd64';

export interface Rke2Results {
  images: number;
  archiveBytes: number;
  zstBytes: number;
  pull: { ferry: Measured; curl: Measured; ratio: number };
  push: { ferry: Measured; skopeo: Measured; ratio: number; skopeoLayerMediaType: string };
  pushNoVerify: { ferry: Measured; ratio: number };
  repush: { ferry: Measured };
}

const layer = (seed: string, bytes: number) => tarOf([{ path: `data/${seed}.bin`, body: seededBytes(seed, bytes) }]);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes the uncompressed archive and its .tar.zst to `dir`; returns the images. */
async function buildArchive(dir: string, count: number, totalBytes: number): Promise<SaveImage[]> {
  const base = layer('rke2-base', Math.floor(totalBytes / 5));
  const own = Math.floor((totalBytes * 4) / 5 / count);
  const images: SaveImage[] = [];
  for (let i = 0; i < count; i++) images.push({ ref: `docker.io/rancher/bench-${i}:v1`, layers: [base, layer(`rke2-own-${i}`, own)] });
  writeFileSync(join(dir, 'images.tar'), dockerSave(images, 'classic'));
  await exec('zstd', ['-q', '-f', '-3', '--long=25', '-T0', join(dir, 'images.tar'), '-o', join(dir, 'images.tar.zst')]);
  return images;
}

function releaseAssets(dir: string, images: SaveImage[]): Map<string, Buffer> {
  const assets = new Map<string, Buffer>();
  assets.set(`rke2-images.linux-${ARCH}.tar.zst`, readFileSync(join(dir, 'images.tar.zst')));
  assets.set(`rke2-images.linux-${ARCH}.txt`, Buffer.from(images.map((i) => `${i.ref}\n`).join('')));
  assets.set(`rke2-images-all.linux-${ARCH}.txt`, Buffer.from(images.map((i) => `${i.ref}\n`).join('')));
  assets.set(`rke2.linux-${ARCH}.tar.gz`, gzip(tarOf([{ path: 'bin/rke2', body: Buffer.from(`#!/bin/sh\necho rke2 ${VERSION}\n`) }])));
  const sums = [...assets.keys()]
    .sort()
    .map((name) => `${sha256(assets.get(name) as Buffer)}  ${name}\n`)
    .join('');
  assets.set(`sha256sum-${ARCH}.txt`, Buffer.from(sums));
  return assets;
}

export async function benchRke2(dir: string, ferry: string): Promise<Rke2Results> {
  const count = Number(process.env.BENCH_RKE2_IMAGES ?? 8);
  const totalBytes = Number(process.env.BENCH_RKE2_MIB ?? 1024) * MiB;
  mkdirSync(dir, { recursive: true });
  const images = await buildArchive(dir, count, totalBytes);
  const host = await startFileHost();
  for (const [name, body] of releaseAssets(dir, images)) host.files.set(`/releases/${VERSION}/${name}`, body);
  rmSync(join(dir, 'images.tar.zst'));
  let target: TestRegistry | undefined;
  try {
    const manifest = join(dir, 'bundle.yaml');
    writeFileSync(
      manifest,
      `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: bench-rke2\nspec:\n  rke2:\n    version: ${VERSION}\n    arch: ${ARCH}\n    installScript: false\n    releaseUrl: ${host.url}/releases\n`,
    );
    const bundle = join(dir, 'bundle.tar');
    const cache = join(dir, 'cache');
    const ferryPull = await median(
      async () => rmSync(cache, { recursive: true, force: true }),
      () => timed(ferry, ['bundle', 'pull', manifest, '-o', bundle, '--no-progress'], { env: { FERRY_CACHE: cache } }),
    );
    rmSync(cache, { recursive: true, force: true });
    const tarball = `${host.url}/releases/${encodeURIComponent(VERSION)}/rke2-images.linux-${ARCH}.tar.zst`;
    const curl = await median(noop, () => timed('curl', ['-sSf', '-o', join(dir, 'curl.tar.zst'), tarball]));
    const zstBytes = statSync(join(dir, 'curl.tar.zst')).size;
    rmSync(join(dir, 'curl.tar.zst'));
    await host.stop();

    target = await startRegistry();
    const fresh = async () => {
      await target?.stop();
      target = await startRegistry();
    };
    const push =
      (...extra: string[]) =>
      () =>
        timed(ferry, ['bundle', 'push', bundle, '--registry', (target as TestRegistry).host, '--plain-http', '--no-progress', ...extra]);
    const ferryPush = await median(fresh, push());
    const repush = await median(noop, push());
    const ferryPushNoVerify = await median(fresh, push('--no-verify'));
    const archive = join(dir, 'images.tar');
    const copies = () =>
      images
        .map((i) => {
          const name = i.ref.replace('docker.io/', '');
          return `skopeo copy -q --dest-tls-verify=false docker-archive:${archive}:${name} docker://${(target as TestRegistry).host}/${name}`;
        })
        .join(' && ');
    const skopeoPush = await median(fresh, () => timed('sh', ['-c', copies()]));
    const first = images[0]?.ref.replace('docker.io/', '') ?? '';
    const raw = (await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${target.host}/${first}`])).stdout;
    const skopeoLayerMediaType = String((JSON.parse(raw) as { layers: { mediaType: string }[] }).layers[0]?.mediaType);
    return {
      images: count,
      archiveBytes: statSync(archive).size,
      zstBytes,
      pull: { ferry: ferryPull, curl, ratio: ferryPull.seconds / curl.seconds },
      push: { ferry: ferryPush, skopeo: skopeoPush, ratio: ferryPush.seconds / skopeoPush.seconds, skopeoLayerMediaType },
      pushNoVerify: { ferry: ferryPushNoVerify, ratio: ferryPushNoVerify.seconds / skopeoPush.seconds },
      repush: { ferry: repush },
    };
  } finally {
    await host.stop();
    await target?.stop();
    rmSync(join(dir, 'images.tar'), { force: true });
  }
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SaveFormat, type SaveImage, dockerSave, gzip, layerTar, tarOf, zstd } from './docker-save.js';
import type { FileHost } from './file-host.js';

/**
 * A fixture RKE2 release, laid out like a real one (the reference notes, B1): the binary tarball, image tarballs
 * (.tar.zst and .tar.gz) for the all-in-one set and per-set, their .txt lists, and sha256sum-<arch>.txt over all of
 * them. Each set uses a different docker-save format, so every format goes through the same pull, push and stage.
 */
export interface FixtureRelease {
  version: string;
  arch: string;
  /** Release assets by file name. */
  assets: Map<string, Buffer>;
  /** Images of each set ('' = the all-in-one tarball). */
  sets: Map<string, SaveImage[]>;
  installScript: Buffer;
}

const here = fileURLToPath(new URL('.', import.meta.url));
/**
 * The install.sh the fixture release serves: the contract model, or the real install.sh when FERRY_RKE2_INSTALL_SH
 * names one (it is not in this repository; scripts/check-real-install-sh.sh runs the stage tests against it).
 */
export function installContractScript(): Buffer {
  if (process.env.FERRY_RKE2_INSTALL_SH) return readFileSync(process.env.FERRY_RKE2_INSTALL_SH);
  for (const p of [join(here, '../fixtures/rke2/install-contract.sh'), join(here, '../../../test/fixtures/rke2/install-contract.sh')]) {
    try {
      return readFileSync(p);
    } catch {
      // try the next location
    }
  }
  throw new Error('test/fixtures/rke2/install-contract.sh not found');
}

const img = (ref: string, ...seeds: string[]): SaveImage => ({ ref, layers: seeds.map((s) => layerTar(s)) });

export const CORE_IMAGES = (tag: string): SaveImage[] => [
  img(`docker.io/rancher/hardened-etcd:v3.5.13-k3s1-build20240531`, 'base', 'etcd'),
  img(`docker.io/rancher/hardened-kubernetes:${tag}-build20240815`, 'base', 'kube-1', 'kube-2'),
  img(`docker.io/rancher/mirrored-pause:3.6`, 'pause'),
];
export const CALICO_IMAGES: SaveImage[] = [img('docker.io/rancher/hardened-calico:v3.28.1-build20240806', 'base', 'calico')];
export const CANAL_IMAGES: SaveImage[] = [img('docker.io/rancher/hardened-flannel:v0.25.5-build20240801', 'base', 'flannel')];

const FORMATS: Record<string, SaveFormat> = { '': 'classic', core: 'oci', calico: 'crane', canal: 'classic' };

export async function buildRke2Release(version = 'v1.30.4+rke2r1', arch = 'amd64'): Promise<FixtureRelease> {
  const tag = version.replace('+', '-');
  const core = CORE_IMAGES(tag);
  const sets = new Map<string, SaveImage[]>([
    ['', [...core, ...CANAL_IMAGES]],
    ['core', core],
    ['calico', CALICO_IMAGES],
    ['canal', CANAL_IMAGES],
  ]);
  const assets = new Map<string, Buffer>();
  for (const [set, images] of sets) {
    const base = `rke2-images${set ? `-${set}` : ''}.linux-${arch}`;
    const raw = dockerSave(images, FORMATS[set] ?? 'classic');
    assets.set(`${base}.tar.zst`, await zstd(raw));
    assets.set(`${base}.tar.gz`, gzip(raw));
    assets.set(`${base}.txt`, Buffer.from(images.map((i) => `${i.ref}\n`).join('')));
  }
  const all = [...new Set([...sets.values()].flat().map((i) => i.ref))].sort();
  assets.set(`rke2-images-all.linux-${arch}.txt`, Buffer.from(all.map((r) => `${r}\n`).join('')));
  const unit = (kind: string) => Buffer.from(`[Service]\nExecStart=/usr/local/bin/rke2 ${kind}\n`);
  assets.set(
    `rke2.linux-${arch}.tar.gz`,
    gzip(
      tarOf([
        { path: 'bin/rke2', body: Buffer.from(`#!/bin/sh\necho rke2 ${version}\n`) },
        { path: 'bin/rke2-killall.sh', body: Buffer.from('#!/bin/sh\n') },
        { path: 'bin/rke2-uninstall.sh', body: Buffer.from('#!/bin/sh\nrm -rf /usr/local/bin/rke2\n') },
        { path: 'lib/systemd/system/rke2-server.service', body: unit('server') },
        { path: 'lib/systemd/system/rke2-agent.service', body: unit('agent') },
        { path: 'share/rke2/rke2-cis-sysctl.conf', body: Buffer.from('vm.panic_on_oom=0\n') },
      ]),
    ),
  );
  assets.set(`rke2.linux-${arch}`, Buffer.from(`#!/bin/sh\necho rke2 ${version}\n`));
  const sums = [...assets.keys()]
    .sort()
    .map(
      (name) =>
        `${createHash('sha256')
          .update(assets.get(name) as Buffer)
          .digest('hex')}  ${name}\n`,
    )
    .join('');
  assets.set(`sha256sum-${arch}.txt`, Buffer.from(sums));
  return { version, arch, assets, sets, installScript: installContractScript() };
}

/** Serves the release at `<host>/releases/<version>/<name>` and install.sh at `<host>/install.sh`. */
export function hostRelease(host: FileHost, release: FixtureRelease): { releaseUrl: string; installScriptUrl: string } {
  for (const [name, body] of release.assets) host.files.set(`/releases/${release.version}/${name}`, body);
  host.files.set('/install.sh', release.installScript);
  return { releaseUrl: `${host.url}/releases`, installScriptUrl: `${host.url}/install.sh` };
}

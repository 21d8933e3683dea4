import { type Image, type Index, makeImage, makeIndex, makeLayer, seed } from './images.js';
import type { TestRegistry } from './registry.js';

/** The images most integration tests pull: every media-type family and index shape ferry must handle. */
export interface StandardFixtures {
  /** OCI single-platform image (linux/amd64): library/alpine:3.19 */
  oci: Image;
  /** Docker media types, single platform: velero/velero:v1.9.1 */
  docker: Image;
  /** OCI index amd64 + arm64/v8 + arm/v7 + an attestation entry: prometheus/prometheus:v2.53.0 */
  multi: Index;
  /** Docker manifest list amd64 + arm64: library/busybox:1.36 */
  list: Index;
  /** Two images sharing one base layer: team/app-a:1, team/app-b:1 */
  appA: Image;
  appB: Image;
}

export const REPOS = {
  oci: ['library/alpine', '3.19'],
  docker: ['velero/velero', 'v1.9.1'],
  multi: ['prometheus/prometheus', 'v2.53.0'],
  list: ['library/busybox', '1.36'],
  appA: ['team/app-a', '1'],
  appB: ['team/app-b', '1'],
} as const;

export async function buildStandardFixtures(): Promise<StandardFixtures> {
  const layer = (seed: string, size = 40_000, flavour: 'oci' | 'docker' = 'oci') => makeLayer({ seed, size, gzip: true, flavour });
  const oci = makeImage({ layers: [await layer('alpine-base'), await layer('alpine-top')], label: 'alpine' });
  const docker = makeImage({
    layers: [await layer('velero-base', 60_000, 'docker'), await layer('velero-bin', 30_000, 'docker')],
    flavour: 'docker',
    label: 'velero',
  });
  const arch = async (a: string, variant?: string) =>
    makeImage({
      layers: [await layer(`prom-${a}${variant ?? ''}`)],
      platform: { os: 'linux', architecture: a, ...(variant ? { variant } : {}) },
      label: `prom-${a}`,
    });
  const multi = makeIndex({ children: [await arch('amd64'), await arch('arm64', 'v8'), await arch('arm', 'v7')], attestation: true });
  const bb = async (a: string) =>
    makeImage({
      layers: [await layer(`busybox-${a}`, 20_000, 'docker')],
      flavour: 'docker',
      platform: { os: 'linux', architecture: a },
      label: `bb-${a}`,
    });
  const list = makeIndex({ children: [await bb('amd64'), await bb('arm64')], flavour: 'docker' });
  const base = await layer('shared-base', 80_000);
  const appA = makeImage({ layers: [base, await layer('app-a')], label: 'a' });
  const appB = makeImage({ layers: [base, await layer('app-b')], label: 'b' });
  return { oci, docker, multi, list, appA, appB };
}

export async function seedStandardFixtures(reg: TestRegistry, f: StandardFixtures): Promise<void> {
  for (const key of Object.keys(REPOS) as (keyof typeof REPOS)[]) {
    const [repo, tag] = REPOS[key];
    await seed(reg, repo, tag, f[key]);
  }
}

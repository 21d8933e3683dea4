import { describe, expect, it } from 'vitest';
import type { BundleReader } from '../../../src/bundle/reader.js';
import type { Digest } from '../../../src/core/digest.js';
import { type Descriptor, type ImageIndex, MediaType } from '../../../src/core/media-types.js';
import type { PushStep } from '../../../src/kinds/facets/push.js';
import { type StepRun, tagSteps } from '../../../src/push/execute-steps.js';
import { planPush } from '../../../src/push/plan-push.js';
import { parsePushTarget } from '../../../src/registry/push-target.js';
import type { RegistryRepository } from '../../../src/registry/registry-repository.js';
import { referrerDescriptor, referrersTag, withReferrers } from '../../../src/registry/referrers-index.js';
import { referrerAnnotations } from '../../helpers/referrer-entries.js';

const D = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const REPO = 'docker.io/velero/velero';
const image = {
  mediaType: MediaType.OciManifest,
  digest: D('a'),
  size: 10,
  annotations: { 'dev.ferry.kind': 'image', 'org.opencontainers.image.ref.name': `${REPO}:v1` },
};
const referrer = (
  digest: string,
  opts: { tag?: string; role?: 'signature' | 'sbom' | 'upstream-index'; subject?: string; repo?: string } = {},
) => ({
  mediaType: MediaType.OciManifest,
  digest,
  size: 20,
  annotations: referrerAnnotations({
    subject: opts.subject ?? D('a'),
    role: opts.role ?? 'signature',
    repo: opts.repo ?? REPO,
    digest,
    ...(opts.tag ? { tag: opts.tag } : {}),
  }),
});
const plan = async (...manifests: unknown[]) =>
  (
    await planPush(
      { index: () => ({ schemaVersion: 2, manifests }) as unknown as ImageIndex } as unknown as BundleReader,
      parsePushTarget('reg:5000/m'),
    )
  ).map((s) => [s.item.kind, s.item.repository, s.item.tag ?? null, s.refersTo ?? null, s.owner]);

describe('the referrer kind plans its push', () => {
  it("into its image's target repository: cosign tags tagged, OCI referrers by digest, the upstream index not at all", async () => {
    await expect(
      plan(
        image,
        referrer(D('b'), { tag: `sha256-${'a'.repeat(64)}.sig` }),
        referrer(D('c'), { role: 'sbom' }),
        referrer(D('d'), { role: 'upstream-index', subject: D('d') }),
      ),
    ).resolves.toEqual([
      ['image', 'm/velero/velero', 'v1', null, 'image'],
      ['referrer', 'm/velero/velero', `sha256-${'a'.repeat(64)}.sig`, D('a'), 'referrer'],
      ['referrer', 'm/velero/velero', null, D('a'), 'referrer'],
    ]);
  });

  it('refuses a tag that is not the cosign tag of its subject (it would move an image tag), and a tagged source', async () => {
    await expect(plan(image, referrer(D('b'), { tag: 'v1' }))).rejects.toThrow(/its tag "?v1"? is not sha256-<hex of its subject/);
    await expect(plan(image, referrer(D('b'), { tag: `sha256-${'b'.repeat(64)}.sig` }))).rejects.toThrow(/UNSAFE|is not sha256-/);
    await expect(plan(image, referrer(D('b'), { repo: `${REPO}:v1` }))).rejects.toThrow(/is not an upstream repository/);
    await expect(plan(image, referrer(D('b'), { subject: 'latest' }))).rejects.toThrow(/is not a sha256 digest/);
  });
});

describe('the tag phase', () => {
  it('sets the tags of steps referring to another manifest after all the others, and stops at the first failure', async () => {
    const tagged: string[] = [];
    const step = (tag: string, refersTo?: Digest): PushStep => ({
      item: {
        kind: refersTo ? 'referrer' : 'image',
        source: tag,
        repository: 'r',
        tag,
        root: { mediaType: MediaType.OciManifest, digest: D('a'), size: 1 },
      },
      from: 'test',
      progress: 'image',
      how: { via: 'graph' },
      ...(refersTo ? { refersTo } : {}),
    });
    const repo = (fail?: string) =>
      ({
        put: new Map(),
        tag: (_d: Descriptor, tag: string) =>
          tag === fail ? Promise.reject(new Error(`${tag} refused`)) : (tagged.push(tag), Promise.resolve()),
      }) as unknown as RegistryRepository;
    const steps = [step('sig', D('a')), step('v1'), step('att', D('a')), step('v2')];
    const run = { registry: 'reg', events: () => undefined, upToDate: steps.map(() => false) } as unknown as StepRun;
    const images = await tagSteps(
      steps,
      steps.map(() => repo()),
      run,
    );
    expect(tagged).toEqual(['v1', 'v2', 'sig', 'att']);
    expect(images.map((i) => i.source)).toEqual(['sig', 'v1', 'att', 'v2']);

    tagged.length = 0;
    await expect(
      tagSteps(
        steps,
        steps.map(() => repo('v2')),
        run,
      ),
    ).rejects.toThrow('v2 refused');
    expect(tagged).toEqual(['v1']);
  });
});

describe('the referrers list (distribution-spec v1.1)', () => {
  it('names a referrer by its artifactType, else its config media type, with the manifest annotations', () => {
    const body = Buffer.from(JSON.stringify({ config: { mediaType: 'application/vnd.example.config' }, annotations: { a: 'b' } }));
    const desc = { mediaType: MediaType.OciManifest, digest: D('b'), size: body.length };
    expect(referrerDescriptor(desc, body)).toEqual({ ...desc, artifactType: 'application/vnd.example.config', annotations: { a: 'b' } });
    const typed = Buffer.from(JSON.stringify({ artifactType: 'application/spdx+json', config: { mediaType: MediaType.OciEmpty } }));
    expect(referrerDescriptor(desc, typed)).toEqual({ ...desc, artifactType: 'application/spdx+json' });
    expect(referrersTag(D('c'))).toBe(`sha256-${'c'.repeat(64)}`);
  });

  it('keeps what the index lists and appends only what it lacks', () => {
    const a = { mediaType: MediaType.OciManifest, digest: D('a'), size: 1, artifactType: 'x/a' };
    const b = { mediaType: MediaType.OciManifest, digest: D('b'), size: 2 };
    const existing = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [a], annotations: { k: 'v' } } as ImageIndex;
    const { body, added } = withReferrers(existing, [b, a, b]);
    expect(added).toEqual([b]);
    expect(JSON.parse((body as Buffer).toString())).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [a, b],
      annotations: { k: 'v' },
    });
    expect(withReferrers(existing, [a])).toEqual({ added: [] });
  });
});

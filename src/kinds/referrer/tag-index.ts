import type { Digest } from '../../core/digest.js';
import { FerryError, isFerryError } from '../../core/errors.js';
import { type Descriptor, type ImageIndex, MediaType } from '../../core/media-types.js';
import { readVerified } from '../../graph/copy.js';
import { referrerDescriptor, referrersTag, withReferrers } from '../../registry/referrers-index.js';
import type { FinishedStep, PushFinish, PushedExtra } from '../facets/push.js';

/** One subject's OCI 1.1 referrers in one repository, and how each went up. */
interface Group {
  repository: string;
  subject: Digest;
  members: FinishedStep[];
}

/**
 * The tag-schema referrers index (distribution-spec v1.1 "Pushing Manifests with Subject"): a registry that answers
 * a manifest PUT with `subject` without an `OCI-Subject` header has no referrers API, and the client must keep the
 * index tagged `sha256-<hex of subject>` itself: read it (absent is empty), add the descriptors it lacks, keep the
 * ones it has (other clients' referrers), PUT it back as an OCI image index. One read, and one write when something
 * was missing, per subject and repository, after every tag of the push is set.
 *
 * A referrer already in the registry (not PUT by this push, so no answer to read) needs the index only when the
 * registry has no referrers API: asked (GET …/referrers/<subject>) only when the index lacks it.
 */
export async function maintainTagIndexes(steps: readonly FinishedStep[], ctx: PushFinish): Promise<PushedExtra[]> {
  const groups = new Map<string, Group>();
  for (const f of steps) {
    const { item } = f.step;
    if (item.tag !== undefined || item.subject === undefined) continue;
    if (f.put?.ociSubject !== undefined) continue; // the registry indexes it itself
    const key = `${item.repository} ${item.subject}`;
    const g = groups.get(key) ?? { repository: item.repository, subject: item.subject as Digest, members: [] };
    groups.set(key, g);
    g.members.push(f);
  }
  const out: PushedExtra[] = [];
  for (const g of groups.values()) {
    const x = await maintainOne(g, ctx);
    if (x) out.push(x);
  }
  return out;
}

/** One subject's index; undefined when the registry turns out to list the referrers itself. */
async function maintainOne(g: Group, ctx: PushFinish): Promise<PushedExtra | undefined> {
  const { client, registry } = ctx;
  const tag = referrersTag(g.subject);
  const target = `${registry}/${g.repository}:${tag}`;
  const existing = await currentIndex(ctx, g.repository, tag, target);
  const have = new Set((existing?.index.manifests ?? []).map((d) => d.digest));
  let missing = g.members.filter((f) => !have.has(f.step.item.root.digest));
  // Found in the registry, not put now: if the registry has the referrers API it lists them without an index.
  if (missing.length > 0 && missing.every((f) => f.put === undefined)) {
    // Loaded here, not at the top: the handler's facets load with every verb, and verify must not load the HTTP stack.
    const { listReferrers } = await import('../../registry/referrers-api.js');
    if ((await listReferrers(client, registry, g.repository, g.subject)) !== undefined) {
      if (!existing) return undefined;
      missing = [];
    }
  }
  const referrers = g.members.map((f) => f.step.item.root.digest);
  if (missing.length === 0) return { kind: 'referrers tag index', target, digest: existing?.digest ?? '', upToDate: true, for: referrers };
  const add: Descriptor[] = [];
  for (const f of missing) {
    const root = f.step.item.root;
    add.push(referrerDescriptor(root, await readVerified(ctx.reader, root, `${f.step.item.source}: manifest ${root.digest}`)));
  }
  const { body } = withReferrers(existing?.index, add);
  const { digest } = await client.putManifest(registry, g.repository, tag, MediaType.OciIndex, body as Buffer);
  ctx.events({ type: 'artifact-done', kind: 'referrers index', name: target, digest });
  return { kind: 'referrers tag index', target, digest, upToDate: false, for: referrers };
}

/** The index the tag holds now; undefined when there is none. Anything but an OCI image index is left alone. */
async function currentIndex(
  ctx: PushFinish,
  repository: string,
  tag: string,
  target: string,
): Promise<{ index: ImageIndex; digest: string } | undefined> {
  let got: Awaited<ReturnType<PushFinish['client']['getManifest']>>;
  try {
    got = await ctx.client.getManifest(ctx.registry, repository, tag);
  } catch (err) {
    if (isFerryError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
  let index: ImageIndex | undefined;
  try {
    index = JSON.parse(got.body.toString('utf8')) as ImageIndex;
  } catch {
    index = undefined;
  }
  if (got.descriptor.mediaType !== MediaType.OciIndex || !index || !Array.isArray(index.manifests))
    throw new FerryError(
      'REGISTRY_ERROR',
      `${target}: the referrers tag holds ${got.descriptor.mediaType} ${got.descriptor.digest}, not an OCI image index of referrers: ` +
        'it was left as it is; every image and tag was pushed, only this index was not updated (retag or delete it, then push again)',
      { target, digest: got.descriptor.digest },
    );
  return { index, digest: got.descriptor.digest };
}

import type { BundleReader } from '../../bundle/reader.js';
import { Annotation, type Descriptor } from '../../core/media-types.js';
import { plural } from '../../core/units.js';
import { z } from 'zod';
import { imageRefProblem } from '../../validate/gate-check.js';
import type { ViewFacet } from '../facets/view.js';
import { type LockedReferrer, lockedReferrer, referrerRefName } from './schema.js';

/** Each reader's lock referrers by ref name, read once for all of its entries. */
const lockedByReader = new WeakMap<BundleReader, Promise<Map<string, LockedReferrer>>>();

/** The lock's referrers (the gate has checked the lock before inspect describes anything; unreadable: none). */
function lockedOfReader(reader: BundleReader): Promise<Map<string, LockedReferrer>> {
  let p = lockedByReader.get(reader);
  if (!p) {
    p = reader.lockBytes().then((b) => {
      const parsed = z.array(lockedReferrer).safeParse((JSON.parse(b.toString('utf8')) as { referrers?: unknown }).referrers ?? []);
      return new Map((parsed.success ? parsed.data : []).map((r) => [referrerRefName(r), r]));
    });
    lockedByReader.set(reader, p);
  }
  return p;
}

/** Carried referrers as counted: signatures, attestations, SBOMs and others (an upstream index is not one). */
const counted = (locked: readonly LockedReferrer[]) => locked.filter((r) => r.role !== 'upstream-index').length;

/**
 * The referrer kind's view facet (kinds/kind.ts). Not staged: push carries them with their images. inspect names
 * the image each belongs to (from the lock), so its text lists them under that image.
 */
export const referrerView = {
  async describe(reader, desc, base) {
    const a = desc.annotations ?? {};
    const locked = (await lockedOfReader(reader)).get(a[Annotation.RefName] ?? '');
    return {
      kind: 'referrer',
      ref: a[Annotation.RefName] ?? '',
      ...base,
      role: a[Annotation.ReferrerRole] ?? '',
      via: a[Annotation.ReferrerVia] ?? '',
      subject: a[Annotation.ReferrerSubject] ?? '',
      ...(a[Annotation.ReferrerTag] !== undefined ? { tag: a[Annotation.ReferrerTag] } : {}),
      ...(locked ? { image: locked.image } : {}),
      ...(desc.artifactType !== undefined ? { artifactType: desc.artifactType } : {}),
    };
  },
  countOrder: 7,
  // Its own count: left out when there are none, so bundles without referrers keep their counts' keys.
  count: (locked) => (counted(locked) > 0 ? { referrers: counted(locked) } : {}),
  countWords: (c) => (typeof c.referrers === 'number' && c.referrers > 0 ? { referrers: plural(c.referrers, 'referrer') } : {}),
  inspectLines: (a) => [
    `${String(a.role)} of ${String(a.subject)}${a.via === 'tag' && a.tag ? `, cosign tag ${String(a.tag)}` : a.via === 'referrers' ? ', OCI referrer' : ''}${typeof a.artifactType === 'string' ? `, artifact type ${a.artifactType}` : ''}`,
  ],
  gate(locked, g) {
    const byName = new Map(locked.map((r) => [referrerRefName(r), r]));
    return async (d: Descriptor) => {
      const a = d.annotations ?? {};
      const name = a[Annotation.RefName] ?? '';
      const what = `referrer ${name}`;
      if (!g.check(what, Annotation.RefName, name, imageRefProblem)) return;
      const r = byName.get(name);
      if (!r) {
        g.report({ artifact: what, field: Annotation.RefName, value: name, why: 'is not a referrer of the lock' });
        return;
      }
      if (r.digest !== d.digest) g.mismatch(what, 'digest', d.digest, r.digest);
      const expect: Record<string, string | undefined> = {
        [Annotation.ReferrerSubject]: r.subject,
        [Annotation.ReferrerRole]: r.role,
        [Annotation.ReferrerVia]: r.via,
        [Annotation.ReferrerTag]: r.tag,
        [Annotation.Source]: r.repository,
      };
      for (const [field, want] of Object.entries(expect)) if (a[field] !== want) g.mismatch(what, field, a[field], want ?? '(none)');
    };
  },
} satisfies ViewFacet<LockedReferrer>;

import { Annotation, type Descriptor } from '../../core/media-types.js';
import { isIndexPath } from './index-form.js';
import type { LockedAptSource } from './schema.js';
import { mediaTypeProblem } from '../../validate/grammar.js';
import type { EntryGate } from '../facets/view.js';

/** A deb entry is a file named in the lock (its pool file); an apt-meta entry's layers are the source's indexes. */
export function gateApt(locked: readonly LockedAptSource[], g: EntryGate): (d: Descriptor) => Promise<void> {
  const debs = new Map(locked.flatMap((s) => s.debs).map((d) => [d.file, d]));
  return async (d) => {
    const a = d.annotations ?? {};
    if (a[Annotation.Kind] !== 'apt-meta') return g.namedFile(d, { noun: 'deb', sha256: debs.get(a[Annotation.Title] ?? '')?.sha256 });
    const ref = a[Annotation.RefName] ?? '';
    const m = await g.manifestOf(d, `apt metadata ${ref}`);
    for (const l of m?.layers ?? []) {
      g.check(`apt metadata ${ref}`, 'layer mediaType', l.mediaType, mediaTypeProblem);
      const t = l.annotations?.[Annotation.Title];
      if (g.check(`apt metadata ${ref}`, `layer ${Annotation.Title}`, t, metaPathProblem) && isIndexPath(t ?? '')) {
        // dists/<suite>/<component>/binary-<arch>/Packages(.xz|.gz): each segment a value the lock already vouched for.
        const [, suite, component, bin] = (t ?? '').split('/');
        const source = locked.find(
          (s) =>
            s.suites.includes(suite ?? '') && s.components.includes(component ?? '') && s.architectures.some((x) => bin === `binary-${x}`),
        );
        if (!source)
          g.report({
            artifact: `apt metadata ${ref}`,
            field: `layer ${Annotation.Title}`,
            value: t,
            why: 'does not name a suite, component and architecture of the lock',
          });
      }
    }
  };
}

/** `keyring.gpg` or `dists/<suite>/…`: a relative path of plain segments. */
function metaPathProblem(v: string): string | undefined {
  if (v === 'keyring.gpg') return undefined;
  return /^dists(\/[A-Za-z0-9][A-Za-z0-9.+~_-]{0,63}){2,4}$/.test(v) ? undefined : 'is not keyring.gpg or a dists/<suite>/… path';
}

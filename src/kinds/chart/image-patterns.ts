import { formatReference, parseReference } from '../../core/reference.js';

/**
 * Does `ref` (normalised) match an excludeImages pattern? A pattern is a reference or a prefix of one, with `*`
 * matching any run of characters: `docker.io/bats/bats` drops every tag of that repository, `bats/bats` too (it is
 * normalised like a reference), `quay.io/thanos/*` a whole namespace.
 */
export function imageMatches(ref: string, pattern: string): boolean {
  const forms = new Set([pattern]);
  if (!pattern.includes('*')) {
    try {
      const p = parseReference(pattern);
      // With a tag or digest the pattern names one image; without, every tag of the repository.
      if (/[:@]/.test(pattern.split('/').pop() ?? '')) forms.add(formatReference(p));
      else forms.add(formatReference({ registry: p.registry, repository: p.repository }));
    } catch {
      // not a reference: used as written
    }
  }
  for (const f of forms) {
    const re = new RegExp(
      `^${f
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}([:@/].*)?$`,
    );
    if (re.test(ref)) return true;
  }
  return false;
}

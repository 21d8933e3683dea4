import type { Check } from '../../validate/gate-check.js';
import { imageRefProblem } from '../../validate/gate-check.js';
import { mediaTypeProblem, plainTextProblem, type Rule } from '../../validate/grammar.js';
import type { LockedImage } from './schema.js';

/** A platform as `os/arch[/variant]`, each part a short lower-case word. */
const platformProblem: Rule = (v) =>
  /^[a-z0-9]+\/[a-z0-9_-]+(\/[a-z0-9]+)?$/.test(v) ? undefined : 'is not a platform (os/arch[/variant])';

/** lock.images values that stage, push, serve or a report use, against their grammar (validate/gate-lock.ts). */
export function gateImages(locked: LockedImage[], check: Check): void {
  for (const img of locked) {
    const what = `image ${img.ref}`;
    check(what, 'ref', img.ref, imageRefProblem);
    check(what, 'mediaType', img.mediaType, mediaTypeProblem);
    check(what, 'upstreamMediaType', img.upstreamMediaType, mediaTypeProblem);
    if (img.platforms !== 'all') for (const p of img.platforms) check(what, 'platforms', p, platformProblem);
    for (const p of img.upstreamPlatforms ?? []) check(what, 'upstreamPlatforms', p, plainTextProblem);
  }
}

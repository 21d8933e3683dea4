import type { Check } from '../../validate/gate-check.js';
import { imageRefProblem } from '../../validate/gate-check.js';
import { mediaTypeProblem, tagProblem } from '../../validate/grammar.js';
import type { LockedReferrer } from './schema.js';

/**
 * lock.referrers values that push, inspect or a report use, against their grammar (validate/gate-lock.ts): the lock
 * is as untrusted as the rest of the bundle (digests, role and via are already held to their shapes by the schema).
 */
export function gateReferrers(locked: LockedReferrer[], check: Check): void {
  for (const r of locked) {
    const what = `referrer ${r.digest} of ${r.image}`;
    check(what, 'image', r.image, imageRefProblem);
    check(what, 'repository', r.repository, imageRefProblem);
    if (r.tag !== undefined) check(what, 'tag', r.tag, tagProblem);
    check(what, 'mediaType', r.mediaType, mediaTypeProblem);
    if (r.artifactType !== undefined) check(what, 'artifactType', r.artifactType, mediaTypeProblem);
  }
}

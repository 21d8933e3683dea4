import type { Check } from '../../validate/gate-check.js';
import { plainTextProblem, safeFileNameProblem } from '../../validate/grammar.js';
import { FERRY_RELEASE_RE } from './ferry-lock.js';
import type { LockedFerry } from './schema.js';

/** lock.ferry values that stage, push, serve or a report use, against their grammar (validate/gate-lock.ts). */
export function gateFerry(locked: LockedFerry[], check: Check): void {
  for (const f of locked) {
    const what = `ferry ${f.name}`;
    check(what, 'name', f.name, (v) =>
      FERRY_RELEASE_RE.test(v) ? safeFileNameProblem(v) : 'is not a release name ferry-<version>-linux-<arch>',
    );
    check(what, 'version', f.version, plainTextProblem);
    check(what, 'source', f.source, safeFileNameProblem);
    if (f.sbom) check(what, 'sbom.name', f.sbom.name, safeFileNameProblem);
  }
}

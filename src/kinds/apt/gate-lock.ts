import type { Check, Report } from '../../validate/gate-check.js';
import {
  aptRequestProblem,
  componentProblem,
  debianArchProblem,
  debianPackageProblem,
  debianVersionProblem,
  plainTextProblem,
  poolFileProblem,
  suiteProblem,
} from '../../validate/grammar.js';
import type { LockedAptSource } from './schema.js';

/** lock.apt values that stage, push, serve or a report use, against their grammar (validate/gate-lock.ts). */
export function gateApt(locked: LockedAptSource[], check: Check, report: Report): void {
  for (const [n, s] of locked.entries()) {
    const what = `apt source ${n + 1} (${s.url})`;
    check(what, 'url', s.url, plainTextProblem);
    for (const v of s.suites) check(what, 'suites', v, suiteProblem);
    for (const v of s.components) check(what, 'components', v, componentProblem);
    for (const v of s.architectures) check(what, 'architectures', v, debianArchProblem);
    for (const v of s.packages) check(what, 'packages', v, aptRequestProblem);
    for (const v of s.conflicts) check(what, 'conflicts', v, plainTextProblem);
    for (const rel of s.releases) check(what, 'releases.suite', rel.suite, suiteProblem);
    for (const d of s.debs) {
      const deb = `apt package ${d.file}`;
      check(deb, 'name', d.name, debianPackageProblem);
      check(deb, 'version', d.version, debianVersionProblem);
      check(deb, 'architecture', d.architecture, debianArchProblem);
      check(deb, 'file', d.file, poolFileProblem);
      check(deb, 'url', d.url, plainTextProblem);
      if (check(deb, 'suite', d.suite, suiteProblem) && !s.suites.includes(d.suite))
        report({ artifact: deb, field: 'suite', value: d.suite, why: `is not one of the source's suites (${s.suites.join(', ')})` });
    }
  }
}

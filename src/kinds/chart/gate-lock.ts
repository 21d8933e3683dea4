import type { Check } from '../../validate/gate-check.js';
import { chartNameProblem, chartVersionProblem, plainTextProblem } from '../../validate/grammar.js';
import type { LockedChart } from './schema.js';

/** lock.charts values that stage, push, serve or a report use, against their grammar (validate/gate-lock.ts). */
export function gateCharts(locked: LockedChart[], check: Check): void {
  for (const c of locked) {
    const what = `chart ${c.name}`;
    check(what, 'name', c.name, chartNameProblem);
    check(what, 'version', c.version, chartVersionProblem);
    check(what, 'repo', c.repo, plainTextProblem);
    check(what, 'requested', c.requested, plainTextProblem);
    for (const i of c.images) check(what, 'images', i.ref, plainTextProblem);
  }
}

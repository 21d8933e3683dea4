import type { Check } from '../../validate/gate-check.js';
import { plainTextProblem, safeFileNameProblem } from '../../validate/grammar.js';
import type { LockedFile } from './schema.js';

/** lock.files values that stage, push, serve or a report use, against their grammar (validate/gate-lock.ts). */
export function gateFiles(locked: LockedFile[], check: Check): void {
  for (const f of locked) {
    check(`file ${f.name}`, 'name', f.name, safeFileNameProblem);
    check(`file ${f.name}`, 'url', f.url, plainTextProblem);
  }
}

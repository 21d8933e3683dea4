import type { Check } from '../../validate/gate-check.js';
import { imageRefProblem } from '../../validate/gate-check.js';
import { debianArchProblem, imageSetProblem, plainTextProblem, rke2FileProblem, rke2VersionProblem } from '../../validate/grammar.js';
import type { LockedRke2 } from './schema.js';

/** lock.rke2 values that stage, push, serve or a report use, against their grammar (validate/gate-lock.ts). */
export function gateRke2(locked: LockedRke2[], check: Check): void {
  for (const r of locked) {
    check('rke2', 'version', r.version, rke2VersionProblem);
    check('rke2', 'arch', r.arch, debianArchProblem);
    for (const s of r.imageSets ?? []) check('rke2', 'imageSets', s, imageSetProblem);
    for (const f of r.files) {
      const what = `rke2 file ${f.name}`;
      check(what, 'name', f.name, rke2FileProblem);
      check(what, 'url', f.url, plainTextProblem);
      if (f.imageSet !== undefined) check(what, 'imageSet', f.imageSet, imageSetProblem);
      for (const ref of f.images ?? []) check(what, 'images', ref, imageRefProblem);
    }
  }
}

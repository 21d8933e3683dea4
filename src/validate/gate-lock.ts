import { isFerryError } from '../core/errors.js';
import { parseReference } from '../core/reference.js';
import { FERRY_RELEASE_RE } from '../kinds/ferry/ferry-lock.js';
import type { Lock } from '../lock/types.js';
import {
  type Rule,
  aptRequestProblem,
  bundleNameProblem,
  chartNameProblem,
  chartVersionProblem,
  componentProblem,
  debianArchProblem,
  debianPackageProblem,
  debianVersionProblem,
  imageSetProblem,
  mediaTypeProblem,
  plainTextProblem,
  poolFileProblem,
  rke2FileProblem,
  rke2VersionProblem,
  safeFileNameProblem,
  suiteProblem,
} from './grammar.js';

/** One refused value: which artifact, which field, the value as found, and why. */
export interface GateProblem {
  artifact: string;
  field: string;
  value: unknown;
  why: string;
}

export type Report = (problem: GateProblem) => void;

/** Applies `rule` to `value` and reports a problem when it fails. */
export function checker(report: Report) {
  return (artifact: string, field: string, value: unknown, rule: Rule): boolean => {
    const why = typeof value === 'string' ? rule(value) : 'is not a string';
    if (why) report({ artifact, field, value, why });
    return why === undefined;
  };
}

/** An image reference as ferry writes it: parseable by the distribution grammar, and plain text. */
export const imageRefProblem: Rule = (v) => {
  const plain = plainTextProblem(v);
  if (plain) return plain;
  try {
    parseReference(v);
    return undefined;
  } catch (err) {
    if (isFerryError(err)) return 'is not an image reference (distribution-spec name and tag grammar)';
    throw err;
  }
};

/** A platform as `os/arch[/variant]`, each part a short lower-case word. */
const platformProblem: Rule = (v) => (/^[a-z0-9]+\/[a-z0-9_-]+(\/[a-z0-9]+)?$/.test(v) ? undefined : 'is not a platform (os/arch[/variant])');

/**
 * Every value of the lock that stage, push, serve or a report uses, against its grammar. The lock travels inside the
 * bundle and is covered only by SHA256SUMS, which anyone can recompute: without a signature it is as untrusted as
 * the rest of the bundle.
 */
export function checkLockValues(lock: Lock, report: Report): void {
  const check = checker(report);
  check('bundle', 'bundle.name', lock.bundle.name, bundleNameProblem);
  for (const img of lock.images) {
    const what = `image ${img.ref}`;
    check(what, 'ref', img.ref, imageRefProblem);
    check(what, 'mediaType', img.mediaType, mediaTypeProblem);
    check(what, 'upstreamMediaType', img.upstreamMediaType, mediaTypeProblem);
    if (img.platforms !== 'all') for (const p of img.platforms) check(what, 'platforms', p, platformProblem);
    for (const p of img.upstreamPlatforms ?? []) check(what, 'upstreamPlatforms', p, plainTextProblem);
  }
  for (const f of lock.files) {
    check(`file ${f.name}`, 'name', f.name, safeFileNameProblem);
    check(`file ${f.name}`, 'url', f.url, plainTextProblem);
  }
  if (lock.ferry) {
    const what = `ferry ${lock.ferry.name}`;
    check(what, 'name', lock.ferry.name, (v) => (FERRY_RELEASE_RE.test(v) ? safeFileNameProblem(v) : 'is not a release name ferry-<version>-linux-<arch>'));
    check(what, 'version', lock.ferry.version, plainTextProblem);
    check(what, 'source', lock.ferry.source, safeFileNameProblem);
    if (lock.ferry.sbom) check(what, 'sbom.name', lock.ferry.sbom.name, safeFileNameProblem);
  }
  if (lock.rke2) {
    const r = lock.rke2;
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
  for (const c of lock.charts ?? []) {
    const what = `chart ${c.name}`;
    check(what, 'name', c.name, chartNameProblem);
    check(what, 'version', c.version, chartVersionProblem);
    check(what, 'repo', c.repo, plainTextProblem);
    check(what, 'requested', c.requested, plainTextProblem);
    for (const i of c.images) check(what, 'images', i.ref, plainTextProblem);
  }
  for (const [n, s] of (lock.apt ?? []).entries()) {
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
      if (check(deb, 'suite', d.suite, suiteProblem) && !s.suites.includes(d.suite)) report({ artifact: deb, field: 'suite', value: d.suite, why: `is not one of the source's suites (${s.suites.join(', ')})` });
    }
  }
}

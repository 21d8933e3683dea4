import { FerryError } from '../core/errors.js';
import { parseReference } from '../core/reference.js';
import type { PushTarget } from './push-target.js';
import { repositoryProblem, tagProblem } from '../validate/grammar.js';
import { quoteUntrusted } from '../validate/untrusted-text.js';

/** A repository under the target's prefix (`velero/velero` → `PREFIX/velero/velero`). */
export function targetRepository(target: PushTarget, repository: string): string {
  return target.prefix ? `${target.prefix}/${repository}` : repository;
}

/**
 * The last word before a name goes on the wire: a repository or tag outside the distribution grammar (a `..`
 * segment, a `/` in a chart title) would be resolved by URL rules to somewhere outside HOST/PREFIX. Refused
 * (UNSAFE_VALUE) before a single request is sent.
 */
export function checkTargetName(source: string, repository: string, tag: string | undefined): void {
  const bad = repositoryProblem(repository) ?? (tag !== undefined ? tagProblem(tag) : undefined);
  if (bad)
    throw new FerryError(
      'UNSAFE_VALUE',
      `${quoteUntrusted(source)} would be pushed as ${quoteUntrusted(`${repository}:${tag ?? ''}`)}, which ${bad}: refused, nothing was pushed`,
      { source: quoteUntrusted(source) },
    );
}

/**
 * Where an image or artifact reference goes under the target: its repository with the registry host dropped and the
 * prefix applied (`docker.io/velero/velero:v1.9.1` → `PREFIX/velero/velero`), its tag kept (none for a digest-only
 * reference, pushed by digest), both checked by checkTargetName.
 */
export function referenceTarget(target: PushTarget, source: string): { repository: string; tag?: string } {
  const ref = parseReference(source);
  const repository = targetRepository(target, ref.repository);
  checkTargetName(source, repository, ref.tag);
  return { repository, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) };
}

import { FerryError } from './errors.js';
import { type Digest, parseDigest } from './digest.js';

/**
 * A normalised image reference: `registry/repository[:tag][@digest]`, following Docker's rules
 * (distribution/reference normalize.go splitDockerDomain): the first path component is a registry only if it has
 * a `.` or `:` or is `localhost`; `index.docker.io` is `docker.io`; one-component Docker Hub names get `library/`;
 * no tag and no digest means `latest`.
 */
export interface Reference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: Digest;
}

export const DOCKER_HUB = 'docker.io';

// distribution-spec spec.md "Pulling manifests": repository name and tag grammar.
const REPO_RE = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const HOST_RE = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?$|^\[[0-9a-fA-F:]+\](:[0-9]+)?$/;

export function parseReference(input: string): Reference {
  const bad = (why: string) => new FerryError('REFERENCE_INVALID', `invalid image reference "${input}": ${why}`, { ref: input });
  if (input.trim() !== input || input === '') throw bad('empty or surrounded by spaces');

  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    try {
      digest = parseDigest(rest.slice(at + 1));
    } catch {
      throw bad(`"${rest.slice(at + 1)}" is not a sha256 digest`);
    }
    rest = rest.slice(0, at);
  }

  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (!HOST_RE.test(registry)) throw bad(`"${registry}" is not a registry host`);

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  let repository = rest;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPO_RE.test(repository)) throw bad(`"${repository}" is not a valid repository name (lower case, [a-z0-9._-/])`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** Full normalised form: `docker.io/library/busybox:1.36`, `quay.io/x/y@sha256:…`, or both tag and digest. */
export function formatReference(ref: Reference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The tag or, failing that, the digest: what a manifest request names. */
export function referenceTarget(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export function isValidRepository(name: string): boolean {
  return REPO_RE.test(name);
}

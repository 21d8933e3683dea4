import { formatReference, type Reference } from '../../core/reference.js';

/**
 * `images:` globs of spec.signatures, over full normalised references (`docker.io/library/busybox`, never `busybox`):
 * `*` matches any run of characters except `/`, `**` any run including `/`, `?` one character other than `/`; every
 * other character stands for itself. The glob is tried against `registry/repository` and against the reference with
 * its tag (`docker.io/velero/velero:v1.14`), so `docker.io/velero/*` covers every tag of every velero repository and
 * `docker.io/velero/velero:v1.*` only some tags. This follows the sigstore policy-controller's `glob` field.
 */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Why a glob cannot match any normalised reference, or undefined. */
export function globProblem(glob: string): string | undefined {
  if (glob.trim() !== glob || glob === '') return 'expected a glob such as "docker.io/velero/*", without spaces';
  const head = glob.split('/')[0]!;
  if (!glob.includes('/') || !(head.includes('.') || head.includes(':') || head === 'localhost' || head.includes('*'))) {
    return `"${glob}" does not start with a registry; write the full reference, e.g. "docker.io/${glob}"`;
  }
  return undefined;
}

export function globMatches(glob: string, ref: Reference): boolean {
  const re = globRegExp(glob);
  const repo = `${ref.registry}/${ref.repository}`;
  return (
    re.test(repo) || re.test(formatReference({ registry: ref.registry, repository: ref.repository, ...(ref.tag ? { tag: ref.tag } : {}) }))
  );
}

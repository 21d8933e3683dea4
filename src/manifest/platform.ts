import type { PlatformSpec } from './fields.js';
import type { KeyPath, Problem } from './yaml-source.js';

/**
 * Platform strings are `os/arch[/variant]` with Go's GOOS/GOARCH names, as image indexes record them
 * (image-spec image-index.md "platform"). Common non-Go spellings are mapped to the Go name so the request
 * matches what indexes say, in the spirit of containerd's platform normalisation.
 */
const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  i386: { architecture: '386' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
};
const OS_ALIASES: Record<string, string> = { macos: 'darwin' };
const PART_RE = /^[a-z0-9][a-z0-9._-]*$/;

/** Normalises one platform string; returns an error message instead when it is not `os/arch[/variant]`. */
export function normalisePlatform(input: string): { platform: string } | { error: string } {
  const parts = input.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART_RE.test(p))) {
    return { error: `"${input}" is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7` };
  }
  const [os, arch, variant] = parts as [string, string, string | undefined];
  const alias = ARCH_ALIASES[arch];
  const architecture = alias?.architecture ?? arch;
  let v = variant ?? alias?.variant;
  // Indexes write ARM variants as v6/v7/v8; a bare number is the same request.
  if (v !== undefined && /^[0-9]+$/.test(v) && (architecture === 'arm' || architecture === 'arm64')) v = `v${v}`;
  return { platform: `${OS_ALIASES[os] ?? os}/${architecture}${v !== undefined ? `/${v}` : ''}` };
}

export interface PlatformProblem {
  /** Index into the list, or undefined for the value as a whole. */
  index?: number;
  message: string;
}

/**
 * Turns `platforms:` as written (the word `all`, or a list) into a PlatformSpec. `all` may stand alone or as the
 * only list item. Duplicates after normalisation collapse; a variant-less platform next to one with a variant of
 * the same os/arch is refused, since the first already matches every variant and the request would be ambiguous.
 */
export function parsePlatformSpec(raw: string | string[], problems: PlatformProblem[]): PlatformSpec | undefined {
  if (typeof raw === 'string') {
    if (raw === 'all') return 'all';
    problems.push({ message: `expected the word all or a list of platforms such as [${raw}]` });
    return undefined;
  }
  if (raw.includes('all')) {
    if (raw.length === 1) return 'all';
    problems.push({ message: 'all keeps every platform and cannot be combined with other platforms' });
    return undefined;
  }
  const out: string[] = [];
  const before = problems.length;
  raw.forEach((item, index) => {
    const n = normalisePlatform(item);
    if ('error' in n) {
      problems.push({ index, message: n.error });
      return;
    }
    const [os, arch, variant] = n.platform.split('/');
    const overlap = out.find((o) => {
      const [oOs, oArch, oVariant] = o.split('/');
      return oOs === os && oArch === arch && (oVariant === undefined) !== (variant === undefined);
    });
    if (overlap !== undefined) {
      problems.push({ index, message: `${n.platform} overlaps ${overlap} (a platform without a variant matches every variant)` });
      return;
    }
    if (!out.includes(n.platform)) out.push(n.platform);
  });
  return problems.length > before ? undefined : out;
}

/** `platforms:` at key path `at` as a PlatformSpec, its problems pushed with their positions; undefined if ill-typed. */
export function platformsAt(value: unknown, at: KeyPath, problems: Problem[]): PlatformSpec | undefined {
  if (typeof value !== 'string' && !(Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')))
    return undefined;
  const found: PlatformProblem[] = [];
  const spec = parsePlatformSpec(value as string | string[], found);
  for (const f of found) problems.push({ path: f.index === undefined ? at : [...at, f.index], message: f.message });
  return spec;
}

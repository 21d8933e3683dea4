import { FerryError } from '../core/errors.js';
import { KINDS } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import { type PlatformProblem, parsePlatformSpec } from './platform.js';
import type { BundleManifest, PlatformSpec } from './types.js';
import { wantedOf } from './wanted.js';

const FORM = 'expected os/arch[/variant][,…] or all, e.g. linux/amd64,linux/arm64';

/**
 * `--platform linux/amd64,linux/arm64` (or `all`): the platforms, normalised as the manifest's are
 * (platform.ts). Anything else is a usage error naming the accepted form.
 */
export function parsePlatformFlag(text: string): PlatformSpec {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new FerryError('USAGE', `--platform ${JSON.stringify(text)}: an empty platform; ${FORM}`);
  const problems: PlatformProblem[] = [];
  const spec = parsePlatformSpec(items, problems);
  if (!spec)
    throw new FerryError(
      'USAGE',
      `--platform ${JSON.stringify(text)}: ${problems.map((p) => p.message.replace(/: expected .*$/, '')).join('; ')}; ${FORM}`,
    );
  return spec;
}

/**
 * The manifest as `--platform` makes it: the flag wins over `spec.platforms` and over every image's own
 * `platforms:`, as `crane --platform` and `skopeo --override-arch` apply to every image they copy. The images
 * charts bring in follow `spec.platforms`, so they get the flag's platforms too. RKE2 (`spec.rke2.arch`) and apt
 * (`architectures:`) keep their own settings: they are not images. The lock records the platforms chosen. Each kind
 * whose entries carry platforms says how in its schema facet (`withPlatforms`).
 */
export function overridePlatforms(manifest: BundleManifest, platforms: PlatformSpec): BundleManifest {
  const out: Record<string, unknown> = { ...manifest, platforms };
  for (const k of KINDS as readonly AnyKind[]) {
    if (!k.withPlatforms) continue;
    const entries: unknown[] = k.withPlatforms(wantedOf(manifest, k), platforms);
    out[k.key] = k.cardinality === 'single' ? entries[0] : entries;
  }
  return out as unknown as BundleManifest;
}

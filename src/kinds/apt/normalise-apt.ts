import { dirname, resolve as resolvePath } from 'node:path';
import { isRecord, isString, list } from '../../manifest/fields.js';
import type { NormaliseContext } from '../facets/schema.js';
import { parseRelations } from './relations.js';
import type { AptEntry } from './schema.js';

/**
 * The settings of the one package universe all spec.apt entries make (resolve-apt.ts): set on any entry, the same
 * wherever set more than once, carried by every normalised entry.
 */
const UNIVERSE = ['dependencies', 'recommends', 'installed'] as const;
type UniverseSetting = (typeof UNIVERSE)[number];

/**
 * spec.apt as written to entries with defaults applied (docs/apt.md): one per archive, paths absolute. `packages`
 * may be empty on an entry (an archive that only supplies candidates, a security archive) but not on all of them;
 * a universe-wide setting two entries give differently is a problem naming both.
 */
export function normaliseApt(raw: unknown, { at: key, manifestPath, problems }: NormaliseContext): AptEntry[] {
  const strings = (v: unknown) => list(v).filter(isString);
  const here = dirname(manifestPath);
  const items = list(raw)
    .map((a, i) => ({ a, i }))
    .filter((x): x is { a: Record<string, unknown>; i: number } => isRecord(x.a) && isString(x.a.url) && isString(x.a.keyring));
  const settings = universeSettings(items, key, here, problems);
  const out: AptEntry[] = [];
  for (const { a, i } of items) {
    strings(a.packages).forEach((p, n) => {
      try {
        if (parseRelations(p).flat().length !== 1) throw new Error('expected one package, optionally with a version: jq (>= 1.6)');
      } catch (err) {
        problems.push({ path: [...key, i, 'packages', n], message: (err as Error).message });
      }
    });
    for (const field of ['suites', 'components', 'architectures'] as const) {
      const values = strings(a[field]);
      values.forEach((v, n) => {
        if (values.indexOf(v) !== n) problems.push({ path: [...key, i, field, n], message: `${v} is listed twice` });
      });
    }
    out.push({
      url: (a.url as string).replace(/\/+$/, ''),
      suites: strings(a.suites),
      components: strings(a.components),
      architectures: a.architectures === undefined ? ['amd64'] : strings(a.architectures),
      keyring: resolvePath(here, a.keyring as string),
      packages: strings(a.packages),
      dependencies: settings.dependencies !== false,
      recommends: settings.recommends === true,
      ...(isString(settings.installed) ? { installed: settings.installed } : {}),
    });
  }
  if (items.length > 0 && out.every((e) => e.packages.length === 0))
    problems.push({
      path: key,
      message:
        'no entry lists packages: name at least one in the packages of an entry (an entry without packages only supplies candidates)',
    });
  return out;
}

/** Each universe-wide setting as the entries give it (`installed` resolved against the manifest); a disagreement is a problem. */
function universeSettings(
  items: { a: Record<string, unknown>; i: number }[],
  key: NormaliseContext['at'],
  here: string,
  problems: NormaliseContext['problems'],
): Partial<Record<UniverseSetting, unknown>> {
  const out: Partial<Record<UniverseSetting, unknown>> = {};
  for (const setting of UNIVERSE) {
    let first: { value: unknown; written: unknown; i: number } | undefined;
    for (const { a, i } of items) {
      const written = a[setting];
      if (written === undefined) continue;
      const value = setting === 'installed' && isString(written) ? resolvePath(here, written) : written;
      if (!first) first = { value, written, i };
      else if (value !== first.value)
        problems.push({
          path: [...key, i, setting],
          message:
            `${setting} is ${JSON.stringify(written)} here and ${JSON.stringify(first.written)} in spec.apt.${first.i}: it applies to ` +
            `every apt source (one package universe, as apt's), so set it on one entry or the same on each`,
        });
    }
    if (first) out[setting] = first.value;
  }
  return out;
}

import semver from 'semver';

/**
 * Picks a chart version the way Helm does (helm pkg/repo/v1/index.go `Get`): an exact string match first; otherwise
 * the highest version satisfying the constraint. Helm's constraint syntax (Masterminds semver) separates AND-ed
 * terms with commas where npm's uses spaces; `^`, `~`, `>=`, `x` and `||` read the same. Prereleases are skipped
 * unless the constraint itself names one. Returns undefined when nothing matches.
 */
export function selectChartVersion(available: string[], wanted: string): string | undefined {
  if (available.includes(wanted)) return wanted;
  const stripped = wanted.replace(/^v(?=\d)/, '');
  if (available.includes(stripped)) return stripped;
  const range = semver.validRange(wanted.replace(/,\s*/g, ' '), { loose: true });
  if (range === null) return undefined;
  const includePrerelease = /-/.test(wanted);
  const candidates = available.filter((v) => semver.valid(v, { loose: true }) !== null);
  return semver.maxSatisfying(candidates, range, { loose: true, includePrerelease }) ?? undefined;
}

// Kept apart from semver (chart-tag.ts), so a push naming chart tags does not load it.
export { tagToVersion, versionToTag } from './chart-tag.js';

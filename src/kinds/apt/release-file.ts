import { FerryError } from '../../core/errors.js';
import { field, parseDeb822 } from './deb822.js';

export interface ReleaseFile {
  suite?: string;
  codename?: string;
  date?: Date;
  validUntil?: Date;
  /** `Acquire-By-Hash: yes`: indexes are also served under `<dir>/by-hash/SHA256/<hex>` (apt-pkg acquire-item.cc). */
  acquireByHash?: boolean;
  /** `NotAutomatic: yes`: nothing is taken from it unless asked for (experimental, backports). */
  notAutomatic?: boolean;
  /** `ButAutomaticUpgrades: yes`: what is installed from it is upgraded from it (backports). */
  butAutomaticUpgrades?: boolean;
  /** `SHA256:` entries by path (relative to dists/<suite>/). */
  sha256: Map<string, { sha256: string; size: number }>;
}

/** Reads the signed text of a Release file (Debian wiki DebianRepository/Format, "Release"). */
export function parseReleaseFile(text: string, what: string): ReleaseFile {
  const [stanza] = parseDeb822(text);
  if (!stanza) throw new FerryError('APT_RELEASE_INVALID', `${what} is empty`, { release: what });
  const sha256 = new Map<string, { sha256: string; size: number }>();
  for (const line of (field(stanza, 'SHA256') ?? '').split('\n')) {
    // `<hash> <size> <path>`; the size is right-aligned with padding, so split on any run of whitespace.
    const m = /^\s*([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/i.exec(line);
    if (m) sha256.set(m[3] as string, { sha256: (m[1] as string).toLowerCase(), size: Number(m[2]) });
  }
  const date = (name: string) => {
    const v = field(stanza, name);
    const d = v ? new Date(v) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d : undefined;
  };
  const d = date('Date');
  const vu = date('Valid-Until');
  return {
    ...(field(stanza, 'Suite') ? { suite: field(stanza, 'Suite') as string } : {}),
    ...(field(stanza, 'Codename') ? { codename: field(stanza, 'Codename') as string } : {}),
    ...(d ? { date: d } : {}),
    ...(vu ? { validUntil: vu } : {}),
    ...(field(stanza, 'Acquire-By-Hash')?.trim().toLowerCase() === 'yes' ? { acquireByHash: true } : {}),
    ...(flag(field(stanza, 'NotAutomatic')) ? { notAutomatic: true } : {}),
    ...(flag(field(stanza, 'ButAutomaticUpgrades')) ? { butAutomaticUpgrades: true } : {}),
    sha256,
  };
}

/** A yes/no field as apt reads one (apt-pkg/contrib/strutl.cc StringToBool): `yes`, `true`, `with`, `on`, `enable`, `1`. */
function flag(value: string | undefined): boolean {
  return ['yes', 'true', 'with', 'on', 'enable', '1'].includes(value?.trim().toLowerCase() ?? '');
}

/**
 * The pin priority apt gives the Packages indexes of a Release without preferences (apt-pkg/policy.cc InitDefaults):
 * 100 with `ButAutomaticUpgrades: yes` (backports), else 1 with `NotAutomatic: yes` (experimental), else 500.
 */
export function releasePriority(release: Pick<ReleaseFile, 'notAutomatic' | 'butAutomaticUpgrades'>): number {
  if (release.butAutomaticUpgrades) return 100;
  return release.notAutomatic ? 1 : 500;
}

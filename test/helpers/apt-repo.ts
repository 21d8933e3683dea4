import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A package for a fixture repository; relation fields are written as in a control file. */
export interface FixtureDeb {
  name: string;
  version: string;
  arch?: string;
  depends?: string;
  preDepends?: string;
  recommends?: string;
  provides?: string;
  conflicts?: string;
  breaks?: string;
  multiArch?: string;
  /** The archive component it is published in (default main). */
  component?: string;
  /** `foo`, or `foo (1.0-1)` when the binary's version differs from its source's (a binNMU). */
  source?: string;
  /** required, important, standard, optional, extra. */
  priority?: string;
  essential?: boolean;
  /** `Protected: yes` (apt 2.x reads it, like `Important: yes`, as the package's Important flag). */
  protected?: boolean;
  important?: boolean;
}

/** The control fields of a fixture package, in control-file order. */
function controlFields(deb: FixtureDeb): [string, string | undefined][] {
  const yes = (b: boolean | undefined) => (b ? 'yes' : undefined);
  return [
    ['Package', deb.name],
    ['Source', deb.source],
    ['Version', deb.version],
    ['Architecture', deb.arch ?? 'amd64'],
    ['Essential', yes(deb.essential)],
    ['Protected', yes(deb.protected)],
    ['Important', yes(deb.important)],
    ['Priority', deb.priority],
    ['Maintainer', 'ferry tests <tests@ferry.invalid>'],
    ['Multi-Arch', deb.multiArch],
    ['Pre-Depends', deb.preDepends],
    ['Depends', deb.depends],
    ['Recommends', deb.recommends],
    ['Provides', deb.provides],
    ['Conflicts', deb.conflicts],
    ['Breaks', deb.breaks],
    ['Description', `fixture package ${deb.name}`],
  ];
}

const stanza = (fields: [string, string | undefined][]) =>
  fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n') + '\n';

/** A node's dpkg status (/var/lib/dpkg/status) with these packages installed (`Status: install ok installed`). */
export function dpkgStatus(debs: FixtureDeb[]): string {
  return debs
    .map((d) => {
      const [pkg, ...rest] = controlFields(d);
      return stanza([pkg as [string, string], ['Status', 'install ok installed'], ...rest]);
    })
    .join('\n');
}

/**
 * Stanzas as `apt-cache show` prints them, made installed: a `Status: install ok installed` line after each
 * `Package:` line (the download fields apt-cache adds are ignored in a status file).
 */
export function asInstalled(stanzas: string): string {
  return stanzas
    .split(/\n{2,}/)
    .filter((s) => /^Package: /m.test(s))
    .map((s) => `${s.trim().replace(/^(Package: .*)$/m, '$1\nStatus: install ok installed')}\n`)
    .join('\n');
}

/** Builds a real .deb with dpkg-deb (one small file inside, so every package has distinct content). */
export async function buildDeb(workDir: string, deb: FixtureDeb): Promise<string> {
  // Debian's pool naming: <name>_<version without epoch>_<arch>.deb
  const root = join(workDir, `${deb.name}_${deb.version.replace(/^\d+:/, '')}_${deb.arch ?? 'amd64'}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/share/doc', deb.name), { recursive: true });
  writeFileSync(join(root, 'usr/share/doc', deb.name, 'README'), `${deb.name} ${deb.version}\n`);
  writeFileSync(join(root, 'DEBIAN/control'), stanza(controlFields(deb)));
  const out = `${root}.deb`;
  await run('dpkg-deb', ['--build', '--root-owner-group', '-Zgzip', root, out]);
  return out;
}

export interface FixtureSuite {
  name: string;
  debs: FixtureDeb[];
  /** `NotAutomatic: yes` / `ButAutomaticUpgrades: yes` in its Release (experimental, backports). */
  notAutomatic?: boolean;
  butAutomaticUpgrades?: boolean;
  /** Further Release fields, e.g. `{ NotAutomatic: 'yes', ButAutomaticUpgrades: 'yes' }` (a backports-like suite). */
  release?: Record<string, string>;
}

/** How a fixture repository publishes its indexes: which forms, and whether under by-hash/ only. */
export interface FixtureIndexes {
  /** Index files written (default gz and plain, as before). */
  forms?: ('xz' | 'gz' | 'none')[];
  /** `Acquire-By-Hash: yes` in the Release, each index copied to by-hash/SHA256/<hex> and its plain path removed. */
  byHashOnly?: boolean;
}

/**
 * A repository laid out like Debian's (dists/<suite>/main/binary-amd64/Packages(.gz), pool/), indexes and Release
 * written by apt-ftparchive. Signing is left to the caller (signRelease).
 */
export async function buildAptRepo(root: string, suites: FixtureSuite[], indexes: FixtureIndexes = {}): Promise<void> {
  const forms = indexes.forms ?? ['gz', 'none'];
  const work = join(root, '.work');
  for (const suite of suites) {
    const components = [...new Set(suite.debs.map((d) => d.component ?? 'main'))];
    if (!components.includes('main')) components.unshift('main');
    const bins: string[] = [];
    for (const component of components) {
      // main's pool is pool/<suite>, as before; another component's pool/<component>/<suite>.
      const poolDir = component === 'main' ? join('pool', suite.name) : join('pool', component, suite.name);
      mkdirSync(join(root, poolDir), { recursive: true });
      for (const deb of suite.debs.filter((d) => (d.component ?? 'main') === component)) {
        const built = await buildDeb(work, deb);
        await run('cp', [built, join(root, poolDir)]);
      }
      const bin = join(root, 'dists', suite.name, component, 'binary-amd64');
      bins.push(bin);
      mkdirSync(bin, { recursive: true });
      const { stdout } = await run('apt-ftparchive', ['packages', poolDir], { cwd: root, maxBuffer: 64 << 20 });
      writeFileSync(join(bin, 'Packages'), stdout);
      if (forms.includes('gz')) await run('gzip', ['-9kf', join(bin, 'Packages')]);
      if (forms.includes('xz')) await run('xz', ['-9kf', join(bin, 'Packages')]);
      if (!forms.includes('none')) rmSync(join(bin, 'Packages'));
    }
    const release = await run(
      'apt-ftparchive',
      [
        '-o',
        `APT::FTPArchive::Release::Suite=${suite.name}`,
        '-o',
        `APT::FTPArchive::Release::Codename=${suite.name}`,
        '-o',
        'APT::FTPArchive::Release::Architectures=amd64',
        '-o',
        `APT::FTPArchive::Release::Components=${components.join(' ')}`,
        ...(suite.notAutomatic ? ['-o', 'APT::FTPArchive::Release::NotAutomatic=yes'] : []),
        ...(suite.butAutomaticUpgrades ? ['-o', 'APT::FTPArchive::Release::ButAutomaticUpgrades=yes'] : []),
        'release',
        join('dists', suite.name),
      ],
      { cwd: root, maxBuffer: 16 << 20 },
    );
    let text = release.stdout;
    for (const [k, v] of Object.entries(suite.release ?? {})) text = text.replace(/^(Codename: .*\n)/m, `$1${k}: ${v}\n`);
    if (indexes.byHashOnly) {
      // Acquire-By-Hash (Debian wiki DebianRepository/Format): the Release says so, and the index lives only there.
      text = text.replace(/^(Codename: .*\n)/m, '$1Acquire-By-Hash: yes\n');
      for (const bin of bins) {
        mkdirSync(join(bin, 'by-hash', 'SHA256'), { recursive: true });
        for (const f of readdirSync(bin).filter((n) => n.startsWith('Packages'))) {
          const hex = createHash('sha256')
            .update(readFileSync(join(bin, f)))
            .digest('hex');
          renameSync(join(bin, f), join(bin, 'by-hash', 'SHA256', hex));
        }
      }
    }
    writeFileSync(join(root, 'dists', suite.name, 'Release'), text);
  }
  await run('rm', ['-rf', work]);
}

/** Runs apt-get in an isolated configuration rooted at `state` (no host sources, lists, cache or status). */
export async function aptGet(state: string, sourcesList: string, statusFile: string, args: string[]): Promise<string> {
  return aptTool('apt-get', state, sourcesList, statusFile, args);
}

/** Runs apt-cache (`policy`, `show`) in the same isolated configuration as aptGet. */
export async function aptCache(state: string, sourcesList: string, statusFile: string, args: string[]): Promise<string> {
  return aptTool('apt-cache', state, sourcesList, statusFile, args);
}

async function aptTool(tool: string, state: string, sourcesList: string, statusFile: string, args: string[]): Promise<string> {
  for (const d of ['lists/partial', 'cache/archives/partial', 'etc']) mkdirSync(join(state, d), { recursive: true });
  writeFileSync(join(state, 'etc', 'sources.list'), sourcesList);
  const opts = [
    '-o',
    `Dir::Etc::SourceList=${join(state, 'etc', 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/nonexistent',
    '-o',
    'Dir::Etc::Preferences=/nonexistent',
    '-o',
    'Dir::Etc::PreferencesParts=/nonexistent',
    '-o',
    `Dir::State::Lists=${join(state, 'lists')}`,
    '-o',
    `Dir::Cache=${join(state, 'cache')}`,
    '-o',
    `Dir::State::status=${statusFile}`,
    '-o',
    'Debug::NoLocking=1',
    '-o',
    'APT::Architecture=amd64',
    '-o',
    'APT::Architectures::=amd64',
    '-o',
    'APT::Sandbox::User=root',
    '-o',
    'APT::Get::List-Cleanup=0',
  ];
  const { stdout } = await run(tool, [...opts, ...args], { maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } });
  return stdout;
}

/** `Remv name [version]` lines of `apt-get install --simulate`, as `name version`, sorted. */
export function simulatedRemovals(out: string): string[] {
  return out
    .split('\n')
    .map((l) => /^Remv (\S+)(?: \[(\S+)\])?/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2] ?? ''}`.trim())
    .sort();
}

/** `Inst name (version …)` lines of `apt-get install --simulate`, as `name version`, sorted. */
export function simulatedInstalls(out: string): string[] {
  return out
    .split('\n')
    .map((l) => /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`)
    .sort();
}

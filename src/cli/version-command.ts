import type { Command } from 'commander';
import { TOOL_VERSION, buildCommit } from '../version.js';
import { type GlobalFlags, openSession } from './output.js';

export interface VersionInfo {
  version: string;
  commit: string;
  node: string;
  /** `os/arch` in the names image indexes use (linux/amd64), so it reads like a `--platform` value. */
  platform: string;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export function versionInfo(): VersionInfo {
  return {
    version: TOOL_VERSION,
    commit: buildCommit(),
    node: process.version,
    platform: `${process.platform}/${GO_ARCH[process.arch] ?? process.arch}`,
  };
}

/** `ferry version [--json]`: what to paste into a bug report. `--version` prints the version number alone. */
export function registerVersionCommand(program: Command): void {
  program
    .command('version')
    .description('print the version, the git commit it was built from, the Node version and the platform')
    .action(() => {
      const s = openSession(program.opts<GlobalFlags>());
      const v = versionInfo();
      s.done(v, [`ferry ${v.version}`, `commit   ${v.commit}`, `node     ${v.node}`, `platform ${v.platform}`].join('\n'));
    });
}

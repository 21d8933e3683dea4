import { describe, expect, it } from 'vitest';
import {
  aptRequestProblem,
  bundleNameProblem,
  chartNameProblem,
  chartVersionProblem,
  componentProblem,
  debianArchProblem,
  debianPackageProblem,
  debianVersionProblem,
  mediaTypeProblem,
  poolFileProblem,
  repositoryProblem,
  rke2FileProblem,
  safeFileNameProblem,
  suiteProblem,
  tagProblem,
} from '../../../src/validate/grammar.js';

const cases: [string, (v: string) => string | undefined, string[], string[]][] = [
  [
    'repository',
    repositoryProblem,
    ['velero/velero', 'team/charts/app', 'a.b_c__d---e/f0'],
    ['', '../escaped', 'charts/../../escaped/app', 'Team/app', 'a//b', '/a', 'a/', 'a_-b', '_a'],
  ],
  [
    'tag',
    tagProblem,
    ['v1.9.1', '61.3.2_build.1', '_x', 'a'.repeat(128)],
    ['', '.x', '-x', 'a/b', 'a+b', '1.0.0/../../x', 'a'.repeat(129), 'a\nb'],
  ],
  [
    'Debian architecture',
    debianArchProblem,
    ['amd64', 'arm64', 'armhf', 'all', 'musl-linux-amd64'],
    ['', '../../../../X', 'x/../../y', 'AMD64', '-amd64', 'amd64\n', 'a b'],
  ],
  ['suite', suiteProblem, ['bookworm', 'bookworm-updates', 'jammy-security', 'stable'], ['', '..', 'stable/updates', '.hidden', 'a b']],
  ['component', componentProblem, ['main', 'non-free-firmware', 'contrib'], ['', '../main', 'updates/main']],
  ['Debian package', debianPackageProblem, ['hello', 'libc6', 'g++', 'libstdc++6', 'lib.x-1'], ['', 'a', 'Hello', '-x', 'x_y', 'a b']],
  ['Debian version', debianVersionProblem, ['2.10-3', '1:0.9-1', '1.0~rc1+dfsg-2ubuntu1'], ['', 'a b', '1.0/2', '1.0\n']],
  [
    'pool file',
    poolFileProblem,
    ['hello_2.10-3_amd64.deb', 'libfoo_1%3a0.9-1_amd64.deb', 'x_1_all.udeb'],
    ['../../../escaped.deb', 'a/b.deb', 'hello.tar.gz', '.deb', 'a\n.deb', 'a b.deb'],
  ],
  [
    'file name',
    safeFileNameProblem,
    ['notes.txt', 'tool x~1.tar.gz', 'é.bin'],
    ['', '.', '..', 'a/b', 'a\\b', 'a\0b', 'a\nb', 'a\u001b[2Jb', 'a\u202eb', 'x'.repeat(256)],
  ],
  [
    'RKE2 file',
    rke2FileProblem,
    ['rke2.linux-amd64.tar.gz', 'sha256sum-amd64.txt', 'install.sh', 'rke2-images-core.linux-amd64.tar.zst'],
    ['sha256sum-;rm -rf ~;.txt', 'a b', '$(x)', '../x'],
  ],
  [
    'chart name',
    chartNameProblem,
    ['app', 'kube-prometheus-stack', 'a.b_c'],
    ['', '__proto__', 'constructor ', '../../escaped/app', 'App', 'a/b', 'a-'],
  ],
  [
    'chart version',
    chartVersionProblem,
    ['1.0.0', '61.3.2+build.1', '1.0.0-rc.1', 'v2.3.4'],
    ['', '1.0', '01.0.0', '1.0.0/../../x', '1.0.0\n', `1.0.0-${'a'.repeat(130)}`],
  ],
  [
    'media type',
    mediaTypeProblem,
    ['application/vnd.oci.image.manifest.v1+json', 'application/octet-stream'],
    ['', 'application', 'text/plain\r\nX-Evil: 1', 'a/b/c'],
  ],
  ['bundle name', bundleNameProblem, ['it', 'rke2-ha-prod'], ['', 'It', 'it\nOrigin: evil', 'it\u001b]0;owned', '-x']],
  [
    'apt request',
    aptRequestProblem,
    ['hello', 'jq (>= 1.6)', 'libc6:amd64', 'app (= 1.0-1)'],
    ['', 'hello; rm -rf /', '$(id)', 'a (>= 1) | b'],
  ],
];

describe('grammars', () => {
  for (const [name, rule, good, bad] of cases) {
    it(`${name}: accepts ${good.length}, refuses ${bad.length}`, () => {
      for (const v of good) expect(rule(v), JSON.stringify(v)).toBeUndefined();
      for (const v of bad) expect(rule(v), JSON.stringify(v)).toBeTypeOf('string');
    });
  }
});

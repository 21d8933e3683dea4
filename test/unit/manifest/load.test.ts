import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../../src/core/errors.js';
import { loadManifest, parseManifest } from '../../../src/manifest/load.js';

const HEX = 'ab'.repeat(32);
// Four lines, so `spec:` is always line 5.
const head = `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: demo\n`;

/** The located problem lines of a rejected manifest. */
function problemsOf(text: string): string[] {
  try {
    parseManifest(text, 'm.yaml');
  } catch (err) {
    if (!isFerryError(err, 'MANIFEST_INVALID')) throw err;
    const lines = err.details.problems as string[];
    expect(err.message).toBe(`invalid bundle manifest m.yaml:\n  ${lines.join('\n  ')}`);
    return lines;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('parseManifest: valid manifests', () => {
  it('applies defaults to a minimal manifest', () => {
    const m = parseManifest(`${head}spec:\n  images: [busybox]\n`, 'm.yaml');
    expect(m).toEqual({
      path: 'm.yaml',
      name: 'demo',
      platforms: ['linux/amd64'],
      images: [{ ref: 'docker.io/library/busybox:latest', platforms: ['linux/amd64'] }],
      files: [],
      charts: [],
      apt: [],
      artifacts: [],
    });
  });

  it('accepts an empty spec', () => {
    expect(parseManifest(`${head}spec: {}\n`, 'm.yaml')).toMatchObject({ images: [], files: [], platforms: ['linux/amd64'] });
  });

  it('normalises every reference form and applies per-image platform overrides', () => {
    const pin = `sha256:${'c'.repeat(64)}`;
    const m = parseManifest(
      `${head}spec:
  platforms: [linux/amd64, linux/arm64]
  images:
    - velero/velero:v1.9.1
    - index.docker.io/library/nginx
    - ref: quay.io/prometheus/prometheus:v2.53.0
      platforms: [linux/arm/v7]
    - ref: busybox:1.36
      platforms: all
    - ref: 127.0.0.1:5000/app:1
      platforms: [all]
    - registry.k8s.io/pause@${pin}
    - registry.k8s.io/pause:3.9@${pin}
    - localhost/x
`,
      'm.yaml',
    );
    expect(m.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(m.images).toEqual([
      { ref: 'docker.io/velero/velero:v1.9.1', platforms: ['linux/amd64', 'linux/arm64'] },
      { ref: 'docker.io/library/nginx:latest', platforms: ['linux/amd64', 'linux/arm64'] },
      { ref: 'quay.io/prometheus/prometheus:v2.53.0', platforms: ['linux/arm/v7'] },
      { ref: 'docker.io/library/busybox:1.36', platforms: 'all' },
      { ref: '127.0.0.1:5000/app:1', platforms: 'all' },
      { ref: `registry.k8s.io/pause@${pin}`, platforms: ['linux/amd64', 'linux/arm64'] },
      { ref: `registry.k8s.io/pause:3.9@${pin}`, platforms: ['linux/amd64', 'linux/arm64'] },
      { ref: 'localhost/x:latest', platforms: ['linux/amd64', 'linux/arm64'] },
    ]);
  });

  it('takes `platforms: all` globally and normalises platform spellings', () => {
    expect(parseManifest(`${head}spec:\n  platforms: all\n  images: [a]\n`, 'm.yaml').images[0]!.platforms).toBe('all');
    const m = parseManifest(`${head}spec:\n  platforms: [Linux/X86_64, linux/aarch64, linux/amd64, linux/armhf]\n`, 'm.yaml');
    expect(m.platforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
  });

  it('derives file names, lower-cases inline pins and keeps checksum-list URLs', () => {
    const m = parseManifest(
      `${head}spec:
  files:
    - url: https://example.org/dl/tool%20x.tar.gz?download=1
      sha256: ${HEX.toUpperCase()}
    - url: https://example.org/v/velero.tar.gz
      checksums: https://example.org/v/CHECKSUM
      name: velero-cli.tar.gz
    - url: http://127.0.0.1:8080/plain
      sha256: ${HEX}
`,
      'm.yaml',
    );
    expect(m.files).toEqual([
      { url: 'https://example.org/dl/tool%20x.tar.gz?download=1', name: 'tool x.tar.gz', sha256: HEX },
      { url: 'https://example.org/v/velero.tar.gz', name: 'velero-cli.tar.gz', checksums: 'https://example.org/v/CHECKSUM' },
      { url: 'http://127.0.0.1:8080/plain', name: 'plain', sha256: HEX },
    ]);
  });

  it('loads from disk, naming the file in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-manifest-'));
    writeFileSync(join(dir, 'ok.yaml'), `${head}spec:\n  images: [busybox]\n`);
    writeFileSync(join(dir, 'bad.yaml'), `${head}spec:\n  imagez: []\n`);
    expect((await loadManifest(join(dir, 'ok.yaml'))).path).toBe(join(dir, 'ok.yaml'));
    await expect(loadManifest(join(dir, 'bad.yaml'))).rejects.toThrow(`${join(dir, 'bad.yaml')}:6:3: spec.imagez: unknown key "imagez"`);
    // A missing manifest is NOT_FOUND, as a missing bundle is (src/core/input-file.ts).
    await expect(loadManifest(join(dir, 'missing.yaml'))).rejects.toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});

describe('parseManifest: errors at file:line:col', () => {
  it('points at an unknown key itself, at any depth', () => {
    expect(problemsOf(`${head}spec:\n  images: []\n  imagez: []\n`)).toEqual(['m.yaml:7:3: spec.imagez: unknown key "imagez"']);
    expect(problemsOf(`${head}  labels: {}\nspec: {}\n`)).toEqual(['m.yaml:5:3: metadata.labels: unknown key "labels"']);
    expect(problemsOf(`${head}spec:\n  files:\n    - url: https://e.org/x\n      checksum: https://e.org/S\n`)).toEqual([
      'm.yaml:7:7: spec.files.0: give exactly one of sha256 (an inline pin) or checksums (the URL of a checksum list)',
      'm.yaml:8:7: spec.files.0.checksum: unknown key "checksum"',
    ]);
    expect(problemsOf(`${head}spec:\n  images:\n    - ref: busybox\n      platform: [linux/amd64]\n`)).toEqual([
      'm.yaml:8:7: spec.images.0.platform: unknown key "platform"',
    ]);
  });

  it('reports a missing key at its parent', () => {
    expect(problemsOf(head)).toEqual(['m.yaml:1:1: spec: required key is missing']);
    expect(problemsOf('apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata: {}\nspec: {}\n')).toEqual([
      'm.yaml:3:11: metadata.name: required key is missing',
    ]);
    expect(problemsOf(`${head}spec:\n  files:\n    - sha256: ${HEX}\n`)).toEqual(['m.yaml:7:7: spec.files.0.url: required key is missing']);
    expect(problemsOf(`${head}spec:\n  images:\n    - platforms: all\n`)).toEqual([
      'm.yaml:7:7: spec.images.0.ref: required key is missing',
    ]);
  });

  it('words type and value errors for YAML', () => {
    expect(problemsOf('apiVersion: ferry.dev/v1\nkind: Bndl\nmetadata:\n  name: Demo_1\nspec:\n  images:\n')).toEqual([
      'm.yaml:1:13: apiVersion: expected "ferry.dev/v1alpha1"',
      'm.yaml:2:7: kind: expected "Bundle"',
      'm.yaml:4:9: metadata.name: expected lower-case letters, digits and -, starting and ending with a letter or digit',
      'm.yaml:6:10: spec.images: expected a list, got an empty value',
    ]);
    expect(problemsOf(`${head}spec:\n  images:\n    - 123\n    - ref: 12\n`)).toEqual([
      'm.yaml:7:7: spec.images.0: expected an image reference, or a mapping with ref: and optional platforms:',
      'm.yaml:8:12: spec.images.1.ref: expected a string, got a number (put it in quotes)',
    ]);
    expect(problemsOf(`${head}spec:\n  files:\n    - url: https://e.org/x\n      sha256: 1e5\n`)).toEqual([
      'm.yaml:8:15: spec.files.0.sha256: expected a string, got a number (put it in quotes)',
    ]);
    expect(problemsOf('')).toEqual(['m.yaml:1:1: (document): the manifest is empty']);
    expect(problemsOf('- a\n')).toEqual(['m.yaml:1:1: (document): expected a mapping, got a list']);
  });

  it('checks platforms', () => {
    expect(problemsOf(`${head}spec:\n  platforms: linux/amd64\n`)).toEqual([
      'm.yaml:6:14: spec.platforms: expected the word all or a list of platforms such as [linux/amd64]',
    ]);
    expect(problemsOf(`${head}spec:\n  platforms: []\n`)).toEqual(['m.yaml:6:14: spec.platforms: list at least 1 item']);
    expect(problemsOf(`${head}spec:\n  platforms: [linux, linux/amd64, a/b/c/d]\n`)).toEqual([
      'm.yaml:6:15: spec.platforms.0: "linux" is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7',
      'm.yaml:6:35: spec.platforms.2: "a/b/c/d" is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7',
    ]);
    expect(problemsOf(`${head}spec:\n  images:\n    - ref: a\n      platforms: [all, linux/amd64]\n`)).toEqual([
      'm.yaml:8:18: spec.images.0.platforms: all keeps every platform and cannot be combined with other platforms',
    ]);
    expect(problemsOf(`${head}spec:\n  platforms: [linux/arm64, linux/arm64/v8]\n`)).toEqual([
      'm.yaml:6:28: spec.platforms.1: linux/arm64/v8 overlaps linux/arm64 (a platform without a variant matches every variant)',
    ]);
  });

  it('reports bad references and duplicates at the item, together with shape errors', () => {
    expect(
      problemsOf(
        `${head}spec:\n  images:\n    - "Bad Ref"\n    - busybox\n    - docker.io/library/busybox:latest\n    - ref: x@sha256:abc\n  imagez: 1\n`,
      ),
    ).toEqual([
      'm.yaml:7:7: spec.images.0: invalid image reference "Bad Ref": "library/Bad Ref" is not a valid repository name (lower case, [a-z0-9._-/])',
      'm.yaml:9:7: spec.images.2: duplicate image docker.io/library/busybox:latest (same as spec.images.1 after normalisation)',
      'm.yaml:10:12: spec.images.3.ref: invalid image reference "x@sha256:abc": "sha256:abc" is not a sha256 digest',
      'm.yaml:11:3: spec.imagez: unknown key "imagez"',
    ]);
  });

  it('checks file entries: one pin, http(s) only, no credentials, safe and unique names', () => {
    const pin = `      sha256: ${HEX}\n`;
    expect(
      problemsOf(`${head}spec:
  files:
    - url: https://e.org/a.tgz
      sha256: ${HEX}
      checksums: https://e.org/SUMS
    - url: ftp://e.org/b.tgz
${pin}    - url: not a url
      sha256: abc
    - url: https://user:secret@e.org/c.tgz
${pin}    - url: https://e.org/dir/
${pin}    - url: https://e.org/x
${pin}      name: ../etc/passwd
    - url: https://e.org/bad%zz
${pin}    - url: https://mirror.e.org/a.tgz
${pin}`),
    ).toEqual([
      'm.yaml:7:7: spec.files.0: give exactly one of sha256 (an inline pin) or checksums (the URL of a checksum list)',
      'm.yaml:10:12: spec.files.1.url: only http:// and https:// URLs are supported, not ftp://',
      'm.yaml:12:12: spec.files.2.url: "not a url" is not a URL',
      'm.yaml:13:15: spec.files.2.sha256: expected 64 hex digits (a sha256)',
      'm.yaml:14:12: spec.files.3.url: URLs must not carry credentials (user:password@)',
      'm.yaml:16:12: spec.files.4.url: file name "" is empty (derived from the URL; set name:)',
      'm.yaml:20:13: spec.files.5.name: file name "../etc/passwd" must not contain / or \\',
      "m.yaml:21:12: spec.files.6.url: the URL's last path segment is not valid percent-encoding; set name:",
      'm.yaml:23:7: spec.files.7: duplicate file name a.tgz (also spec.files.0); set name: to tell them apart',
    ]);
    expect(problemsOf(`${head}spec:\n  files:\n    - url: https://e.org/x\n${pin}      name: ${'n'.repeat(256)}\n`)).toEqual([
      'm.yaml:9:13: spec.files.0.name: file name "' + 'n'.repeat(256) + '" is longer than 255 bytes',
    ]);
    expect(problemsOf(`${head}spec:\n  files:\n    - url: https://e.org/x\n${pin}      name: ".."\n`)).toEqual([
      'm.yaml:9:13: spec.files.0.name: file name ".." is a directory name',
    ]);
  });

  it('reads spec.apt with defaults, paths relative to the manifest, and checks package relations', () => {
    const m = parseManifest(
      `${head}spec:\n  apt:\n    - url: http://archive.ubuntu.com/ubuntu/\n      suites: [focal, focal-updates]\n      components: [main]\n      keyring: keys/ubuntu.gpg\n      packages: [nfs-common, "jq (>= 1.6)"]\n      installed: nodes/status\n`,
      '/srv/m/m.yaml',
    );
    expect(m.apt).toEqual([
      {
        url: 'http://archive.ubuntu.com/ubuntu',
        suites: ['focal', 'focal-updates'],
        components: ['main'],
        architectures: ['amd64'],
        keyring: '/srv/m/keys/ubuntu.gpg',
        packages: ['nfs-common', 'jq (>= 1.6)'],
        dependencies: true,
        recommends: false,
        installed: '/srv/m/nodes/status',
      },
    ]);
    expect(
      problemsOf(
        `${head}spec:\n  apt:\n    - url: http://a/b\n      suites: [s]\n      components: [main]\n      keyring: k.gpg\n      packages: ["jq (>= ", "a | b"]\n`,
      ),
    ).toEqual([
      'm.yaml:11:18: spec.apt.0.packages.0: cannot read the relation "jq (>="',
      'm.yaml:11:29: spec.apt.0.packages.1: expected one package, optionally with a version: jq (>= 1.6)',
    ]);
  });

  it('reads several spec.apt entries as one universe: packages on any entry, universe-wide settings carried by all', () => {
    const src = (url: string, extra: string) =>
      `    - url: ${url}\n      suites: [bookworm]\n      components: [main]\n      keyring: k.gpg\n${extra}`;
    const m = parseManifest(
      `${head}spec:\n  apt:\n${src('http://deb.debian.org/debian', '      packages: [libssl3]\n')}${src(
        'http://deb.debian.org/debian-security',
        '      recommends: true\n      installed: nodes/status\n',
      )}`,
      '/srv/m/m.yaml',
    );
    expect(m.apt.map((e) => [e.url, e.packages, e.dependencies, e.recommends, e.installed])).toEqual([
      ['http://deb.debian.org/debian', ['libssl3'], true, true, '/srv/m/nodes/status'],
      ['http://deb.debian.org/debian-security', [], true, true, '/srv/m/nodes/status'],
    ]);
    // The same setting twice, once as written relative to the manifest: no disagreement.
    expect(
      parseManifest(
        `${head}spec:\n  apt:\n${src('http://a', '      packages: [jq]\n      installed: s\n')}${src('http://b', '      installed: ./s\n')}`,
        '/srv/m/m.yaml',
      ).apt.map((e) => e.installed),
    ).toEqual(['/srv/m/s', '/srv/m/s']);
    expect(
      problemsOf(
        `${head}spec:\n  apt:\n${src('http://a', '      packages: [jq]\n      recommends: false\n')}${src('http://b', '      recommends: true\n      dependencies: false\n')}${src('http://c', '      dependencies: true\n')}`,
      ),
    ).toEqual([
      "m.yaml:17:19: spec.apt.1.recommends: recommends is true here and false in spec.apt.0: it applies to every apt source (one package universe, as apt's), so set it on one entry or the same on each",
      "m.yaml:23:21: spec.apt.2.dependencies: dependencies is true here and false in spec.apt.1: it applies to every apt source (one package universe, as apt's), so set it on one entry or the same on each",
    ]);
    expect(problemsOf(`${head}spec:\n  apt:\n${src('http://a', '      packages: []\n')}${src('http://b', '')}`)).toEqual([
      'm.yaml:7:5: spec.apt: no entry lists packages: name at least one in the packages of an entry (an entry without packages only supplies candidates)',
    ]);
    expect(
      problemsOf(
        `${head}spec:\n  apt:\n    - url: http://a\n      suites: [s, s]\n      components: [main]\n      keyring: k\n      packages: [jq]\n`,
      ),
    ).toEqual(['m.yaml:8:19: spec.apt.0.suites.1: s is listed twice']);
  });

  it('reads spec.charts: defaults, values paths relative to the manifest, and checks repos and references', () => {
    const m = parseManifest(
      `${head}spec:\n  charts:\n    - repo: https://prometheus-community.github.io/helm-charts/\n      name: kube-prometheus-stack\n      version: 61.3.2\n      values: [v/mon.yaml]\n      extraImages: [thanos/thanos:v0.35.1]\n    - repo: oci://ghcr.io/prometheus-community/charts\n      name: grafana\n      version: ^8.0.0\n      images: false\n`,
      '/srv/m/m.yaml',
    );
    expect(m.charts).toEqual([
      {
        repo: 'https://prometheus-community.github.io/helm-charts',
        name: 'kube-prometheus-stack',
        version: '61.3.2',
        images: true,
        values: [{ path: 'v/mon.yaml', file: '/srv/m/v/mon.yaml' }],
        extraImages: ['docker.io/thanos/thanos:v0.35.1'],
        excludeImages: [],
        render: true,
      },
      {
        repo: 'oci://ghcr.io/prometheus-community/charts',
        name: 'grafana',
        version: '^8.0.0',
        images: false,
        values: [],
        extraImages: [],
        excludeImages: [],
        render: true,
      },
    ]);
    expect(
      problemsOf(
        `${head}spec:\n  charts:\n    - repo: ftp://x\n      name: Bad_Name\n      version: 1.0.0\n      extraImages: ["Not A Ref"]\n`,
      ),
    ).toEqual([
      'm.yaml:7:13: spec.charts.0.repo: only http:// and https:// URLs are supported, not ftp://',
      expect.stringMatching(/^m\.yaml:8:13: spec\.charts\.0\.name: expected a chart name/),
      expect.stringMatching(/^m\.yaml:10:21: spec\.charts\.0\.extraImages\.0: invalid image reference "Not A Ref"/),
    ]);
  });

  it('reads render and kubeVersion of a chart, and spec.helm with its path relative to the manifest', () => {
    const m = parseManifest(
      `${head}spec:\n  helm:\n    path: bin/helm\n    kubeVersion: "1.30"\n  charts:\n    - repo: https://charts.example\n      name: app\n      version: 1.0.0\n      render: false\n      kubeVersion: v1.31.4\n`,
      '/srv/m/m.yaml',
    );
    expect(m.helm).toEqual({ path: '/srv/m/bin/helm', kubeVersion: '1.30' });
    expect(m.charts[0]).toMatchObject({ render: false, kubeVersion: 'v1.31.4' });
    expect(parseManifest(`${head}spec:\n  charts: []\n`, '/srv/m/m.yaml').helm).toBeUndefined();
    expect(
      problemsOf(
        `${head}spec:\n  helm:\n    kubeVersion: 1.30\n    paht: x\n  charts:\n    - repo: https://charts.example\n      name: app\n      version: 1.0.0\n      kubeVersion: latest\n`,
      ),
    ).toEqual([
      expect.stringMatching(/^m\.yaml:\d+:\d+: spec\.helm\.kubeVersion: expected a string, got a number \(put it in quotes\)/),
      expect.stringMatching(/^m\.yaml:\d+:\d+: spec\.helm.*paht/),
      expect.stringMatching(/^m\.yaml:\d+:\d+: spec\.charts\.0\.kubeVersion: expected a Kubernetes version such as "1\.31" or "v1\.31\.4"/),
    ]);
  });

  it('a chart repository written two ways is one repository: the chart is listed twice', () => {
    const twice = `${head}spec:\n  charts:\n    - repo: https://charts.example/stable/\n      name: app\n      version: 1.0.0\n    - repo: HTTPS://Charts.Example:443/stable\n      name: app\n      version: 1.0.0\n`;
    expect(problemsOf(twice)).toEqual([
      expect.stringMatching(
        /spec\.charts\.1\.name: chart app from HTTPS:\/\/Charts\.Example:443\/stable is listed twice \(also spec\.charts\.0\)$/,
      ),
    ]);
  });

  it('reads spec.rke2 with its defaults, and checks the version, arch, sets and URLs', () => {
    const m = parseManifest(`${head}spec:\n  rke2:\n    version: v1.30.4+rke2r1\n`, 'm.yaml');
    expect(m.rke2).toEqual({
      version: 'v1.30.4+rke2r1',
      arch: 'amd64',
      installScript: true,
      pushImages: true,
      releaseUrl: 'https://github.com/rancher/rke2/releases/download',
      installScriptUrl: 'https://get.rke2.io',
    });
    const full = parseManifest(
      `${head}spec:\n  rke2:\n    version: v1.31.1+rke2r2\n    arch: arm64\n    imageSets: [core, calico, core]\n    installScript: false\n    pushImages: false\n    releaseUrl: https://mirror.example/rke2/\n`,
      'm.yaml',
    );
    expect(full.rke2).toMatchObject({
      arch: 'arm64',
      imageSets: ['core', 'calico'],
      installScript: false,
      pushImages: false,
      releaseUrl: 'https://mirror.example/rke2',
    });
    expect(
      problemsOf(`${head}spec:\n  rke2:\n    version: stable\n    arch: x86\n    imageSets: [Core]\n    releaseUrl: ftp://x/y\n`),
    ).toEqual([
      'm.yaml:7:14: spec.rke2.version: expected an exact RKE2 release tag such as v1.30.4+rke2r1',
      expect.stringMatching(/^m\.yaml:8:11: spec\.rke2\.arch: .*amd64.*arm64/),
      'm.yaml:9:17: spec.rke2.imageSets.0: expected an image set name such as core or calico',
      'm.yaml:10:17: spec.rke2.releaseUrl: only http:// and https:// URLs are supported, not ftp://',
    ]);
  });

  it('gives YAML syntax errors a position', () => {
    expect(problemsOf(`${head}spec:\n  images: [a,\n`)[0]).toMatch(/^m\.yaml:7:1: YAML syntax: /);
    expect(problemsOf(`${head}spec:\n  images: []\n  images: []\n`)).toEqual(['m.yaml:7:3: YAML syntax: Map keys must be unique']);
    expect(problemsOf(`${head}spec: {}\n---\nx: 1\n`)[0]).toMatch(/^m\.yaml:6:1: YAML syntax: Source contains multiple documents/);
  });
});

import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../../../src/core/errors.js';
import { parseReference } from '../../../../src/core/reference.js';
import { parseManifest } from '../../../../src/manifest/load.js';
import { globMatches } from '../../../../src/trust/cosign/image-glob.js';

const head = `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: demo\nspec:\n`;

function problemsOf(text: string): string[] {
  try {
    parseManifest(text, '/m/bundle.yaml');
  } catch (err) {
    if (isFerryError(err, 'MANIFEST_INVALID')) return err.details.problems as string[];
    throw err;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('spec.signatures in the manifest', () => {
  it('reads key and keyless rules, paths relative to the manifest', () => {
    const m = parseManifest(
      `${head}  signatures:\n    - images: "docker.io/velero/*"\n      key: keys/velero.pub\n` +
        `    - images: "quay.io/prometheus/*"\n      keyless: {issuer: "https://token.actions.githubusercontent.com", subject: "https://github.com/prometheus/.*"}\n      trustedRoot: keys/trusted_root.json\n`,
      '/m/bundle.yaml',
    );
    expect(m.signatures).toEqual([
      { images: 'docker.io/velero/*', key: '/m/keys/velero.pub' },
      {
        images: 'quay.io/prometheus/*',
        keyless: { issuer: 'https://token.actions.githubusercontent.com', subject: 'https://github.com/prometheus/.*' },
        trustedRoot: '/m/keys/trusted_root.json',
      },
    ]);
  });

  it('leaves signatures out when the manifest has none', () => {
    expect(parseManifest(`${head}  images: [busybox]\n`, '/m/bundle.yaml').signatures).toBeUndefined();
  });

  it('reports a rule of neither form, a short glob and a bad regex, each at its position', () => {
    const problems = problemsOf(
      `${head}  signatures:\n    - images: "docker.io/a/*"\n      kee: a.pub\n    - images: "velero/*"\n      key: a.pub\n` +
        `    - images: "quay.io/*/*"\n      keyless: {issuer: i, subject: "("}\n      trustedRoot: r.json\n`,
    );
    expect(problems).toEqual([
      '/m/bundle.yaml:7:7: spec.signatures.0: expected {images, key} or {images, keyless: {issuer, subject}, trustedRoot}',
      '/m/bundle.yaml:9:15: spec.signatures.1.images: "velero/*" does not start with a registry; write the full reference, e.g. "docker.io/velero/*"',
      expect.stringMatching(/^\/m\/bundle\.yaml:12:37: spec\.signatures\.2\.keyless\.subject: not a regular expression: /),
    ]);
  });
});

describe('images globs', () => {
  const m = (glob: string, ref: string) => globMatches(glob, parseReference(ref));
  it('match full normalised references, * within one path segment, ** across', () => {
    expect(m('docker.io/velero/*', 'velero/velero:v1.14.0')).toBe(true);
    expect(m('docker.io/velero/*', 'docker.io/velero/plugins/aws:v1')).toBe(false);
    expect(m('docker.io/velero/**', 'docker.io/velero/plugins/aws:v1')).toBe(true);
    expect(m('docker.io/library/busybox', 'busybox:1.36')).toBe(true);
    expect(m('docker.io/library/busybox:1.*', 'busybox:1.36')).toBe(true);
    expect(m('docker.io/library/busybox:1.*', 'busybox:2.0')).toBe(false);
    expect(m('quay.io/*', 'docker.io/quay.io/x')).toBe(false);
    expect(m('registry.k8s.io/pause', 'registry.k8s.io/pause3')).toBe(false);
  });
});

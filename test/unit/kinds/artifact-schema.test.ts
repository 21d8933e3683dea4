import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../../src/core/errors.js';
import { lockedArtifact } from '../../../src/kinds/artifact/schema.js';
import { artifactKind } from '../../../src/kinds/artifact/handler.js';
import { parseManifest } from '../../../src/manifest/load.js';

// Four lines, so `spec:` is always line 5.
const head = `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: demo\n`;
const D = `sha256:${'ab'.repeat(32)}`;

function problemsOf(text: string): string[] {
  try {
    parseManifest(text, 'm.yaml');
  } catch (err) {
    if (!isFerryError(err, 'MANIFEST_INVALID')) throw err;
    return err.details.problems as string[];
  }
  throw new Error('expected the manifest to be rejected');
}

describe('spec.artifacts', () => {
  it('takes plain references and ref: mappings, normalised like images', () => {
    const m = parseManifest(
      `${head}spec:\n  artifacts:\n    - registry.example/acme/thing:1.0\n    - ref: acme/other\n    - ref: registry.example/acme/pinned@${D}\n`,
      'm.yaml',
    );
    expect(m.artifacts).toEqual([
      { ref: 'registry.example/acme/thing:1.0' },
      { ref: 'docker.io/acme/other:latest' },
      { ref: `registry.example/acme/pinned@${D}` },
    ]);
    expect(m.images).toEqual([]);
  });

  it('is an empty list when absent', () => {
    expect(parseManifest(`${head}spec: {}\n`, 'm.yaml').artifacts).toEqual([]);
  });

  it('refuses a platforms: key at its position: an artifact is stored whole', () => {
    expect(problemsOf(`${head}spec:\n  artifacts:\n    - ref: registry.example/acme/thing:1.0\n      platforms: [linux/amd64]\n`)).toEqual([
      'm.yaml:8:18: spec.artifacts.0.platforms: an artifact takes no platforms: it is stored whole, at its upstream digest',
    ]);
  });

  it('refuses a duplicate after normalisation, and a bad reference, with positions', () => {
    expect(problemsOf(`${head}spec:\n  artifacts:\n    - acme/thing\n    - docker.io/acme/thing:latest\n    - ref: "Bad Ref"\n`)).toEqual([
      'm.yaml:8:7: spec.artifacts.1: duplicate artifact docker.io/acme/thing:latest (same as spec.artifacts.0 after normalisation)',
      expect.stringMatching(/^m\.yaml:9:12: spec\.artifacts\.2\.ref: /),
    ]);
  });

  it('refuses an entry that is neither a reference nor a mapping', () => {
    expect(problemsOf(`${head}spec:\n  artifacts:\n    - 42\n`)).toEqual([
      'm.yaml:7:7: spec.artifacts.0: expected an artifact reference, or a mapping with ref:',
    ]);
  });
});

describe('lock.artifacts', () => {
  const entry = { ref: 'registry.example/acme/thing:1.0', digest: D, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10 };

  it('is strict, with an optional artifactType', () => {
    expect(lockedArtifact.parse({ ...entry, artifactType: 'application/vnd.acme.thing.v1' })).toEqual({
      ...entry,
      artifactType: 'application/vnd.acme.thing.v1',
    });
    expect(lockedArtifact.safeParse({ ...entry, platforms: 'all' }).success).toBe(false);
  });

  it('checks a digest reference against the digest, and normalised form', () => {
    const other = `sha256:${'cd'.repeat(32)}`;
    expect(
      artifactKind.lockProblems([
        { ...entry, ref: `registry.example/acme/thing@${other}` },
        { ...entry, ref: 'acme/thing' },
      ]),
    ).toEqual([
      `artifacts.0.digest: the reference pins ${other} but the lock says it resolved to ${D}`,
      'artifacts.1.ref: "acme/thing" is not in normalised form (docker.io/acme/thing:latest)',
    ]);
  });

  it('tells --lock pulls what was added and removed', () => {
    expect(artifactKind.differences([entry], [{ ref: 'registry.example/acme/new:2' }])).toEqual([
      'artifact registry.example/acme/new:2: in the manifest, not in the lock',
      'artifact registry.example/acme/thing:1.0: in the lock, not in the manifest',
    ]);
  });
});

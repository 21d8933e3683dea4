import { describe, expect, it } from 'vitest';
import { referrerKind } from '../../../src/kinds/referrer/handler.js';
import { keeps, roleOfType } from '../../../src/kinds/referrer/roles.js';
import type { LockedReferrer } from '../../../src/kinds/referrer/schema.js';
import { impliedReferrers } from '../../../src/kinds/referrer/subjects.js';
import type { LockedImage } from '../../../src/lock/types.js';
import { parseLock, serializeLock } from '../../../src/lock/lock-file.js';
import { parseManifest } from '../../../src/manifest/load.js';
import { checker, type GateProblem } from '../../../src/validate/gate-check.js';

const hex = (c: string) => c.repeat(64);
const subject = `sha256:${hex('a')}`;
const sig: LockedReferrer = {
  image: 'docker.io/acme/app:v1',
  subject,
  repository: 'docker.io/acme/app',
  role: 'signature',
  via: 'tag',
  tag: `sha256-${hex('a')}.sig`,
  digest: `sha256:${hex('b')}`,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  size: 500,
};
const sbom: LockedReferrer = {
  ...sig,
  role: 'sbom',
  via: 'referrers',
  tag: undefined,
  digest: `sha256:${hex('c')}`,
  artifactType: 'application/spdx+json',
};
delete (sbom as { tag?: string }).tag;

const lockText = (referrers: unknown[]) => JSON.stringify({ lockVersion: 1, bundle: { name: 'x' }, images: [], files: [], referrers });

describe('referrer kind: manifest, lock and gate', () => {
  it('spec.referrers takes all, signatures or none; anything else is refused at its position', () => {
    const m = (v: string) => `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: x\nspec:\n  referrers: ${v}\n`;
    expect(parseManifest(m('all'), 'b.yaml').referrers).toBe('all');
    expect(parseManifest(m('none'), 'b.yaml').referrers).toBe('none');
    expect(() => parseManifest(m('some'), 'b.yaml')).toThrow(/b\.yaml:6:\d+.*expected all, signatures or none/);
  });

  it('the lock holds a list, written sorted whatever order it resolved in', () => {
    const lock = parseLock(lockText([sig, sbom]), 'l.json');
    expect(lock.referrers).toHaveLength(2);
    const again = parseLock(lockText([sbom, sig]), 'l.json');
    expect(serializeLock(again)).toBe(serializeLock(lock));
  });

  it('lock problems: a tag that is not the subject’s cosign tag, a foreign repository, an upstream index not its own subject, a twin', () => {
    const bad = [
      { ...sig, tag: `sha256-${hex('f')}.sig` },
      { ...sig, tag: `sha256-${hex('a')}.att`, digest: `sha256:${hex('d')}`, repository: 'docker.io/other/x' },
      { ...sig, role: 'upstream-index', tag: undefined, digest: `sha256:${hex('e')}` },
      { ...sbom, tag: 'sha256-x' },
      sbom,
      sbom,
    ].map((r) => JSON.parse(JSON.stringify(r)));
    const err = (() => {
      try {
        parseLock(lockText(bad), 'l.json');
      } catch (e) {
        return e as Error & { details?: { problems?: string[] } };
      }
      return undefined;
    })();
    expect(err?.message).toContain(
      `referrers.0.tag: sha256-${hex('f')}.sig is not the cosign tag of a signature of ${subject} (sha256-${hex('a')}.sig)`,
    );
    expect(err?.message).toContain('referrers.1.repository: docker.io/other/x is not the repository of its image docker.io/acme/app:v1');
    expect(err?.message).toContain('referrers.2: an upstream index is via tag, without a tag, and its own subject');
    expect(err?.message).toContain('referrers.3.tag: a referrer found by the referrers API has no tag');
    expect(err?.message).toContain(`referrers.5: docker.io/acme/app@sha256:${hex('c')} is listed twice`);
    expect(() => parseLock(lockText([{ ...sig, digest: 'sha256:short' }]), 'l.json')).toThrow(/referrers\.0\.digest/);
  });

  it('the gate refuses values a report or push would use that break their grammar', () => {
    const problems: GateProblem[] = [];
    referrerKind.gateLocked(
      [{ ...sig, tag: 'bad tag\n', mediaType: 'not a type', image: 'docker.io/acme/app:v1\u001b[31m' }],
      checker((p) => problems.push(p)),
    );
    expect(problems.map((p) => p.field)).toEqual(['image', 'tag', 'mediaType']);
  });

  it('--lock differences: roles the mode leaves out are named; fewer referrers than the mode would carry are not a difference', () => {
    expect(referrerKind.differences([sig, sbom], ['signatures'])).toEqual([
      'referrers: the manifest asks for signatures (spec.referrers), the lock carries 1 sbom referrers it leaves out',
    ]);
    expect(referrerKind.differences([sig], ['none'])).toEqual([
      'referrers: the manifest asks for none (spec.referrers), the lock carries 1 signature referrers it leaves out',
    ]);
    expect(referrerKind.differences([sig], [])).toEqual([]);
    expect(referrerKind.differences([], ['all'])).toEqual([]);
  });

  it('roles by artifact type (the contract), and what each mode keeps', () => {
    expect(roleOfType('application/vnd.dev.cosign.artifact.sig.v1+json')).toBe('signature');
    expect(roleOfType('application/vnd.dsse.envelope.v1+json')).toBe('attestation');
    expect(roleOfType('application/vnd.dev.sigstore.bundle.v0.3+json')).toBe('attestation');
    expect(roleOfType('application/vnd.cyclonedx+json')).toBe('sbom');
    expect(roleOfType('text/spdx')).toBe('sbom');
    expect(roleOfType('application/vnd.example.thing')).toBe('other');
    expect(roleOfType(undefined)).toBe('other');
    expect(['signature', 'attestation', 'sbom', 'other', 'upstream-index'].filter((r) => keeps('signatures', r as never))).toEqual([
      'signature',
      'attestation',
      'upstream-index',
    ]);
    expect(keeps('none', 'signature')).toBe(false);
    expect(keeps('all', 'other')).toBe(true);
  });

  it('an image implies its upstream root and each kept platform child; a filtered one carries its upstream index; none implies nothing', () => {
    const child = (n: string, arch: string) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${hex(n)}`,
      size: 10,
      platform: { os: 'linux', architecture: arch },
    });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          child('1', 'amd64'),
          child('2', 'arm64'),
          { ...child('3', 'unknown'), platform: { os: 'unknown', architecture: 'unknown' } },
        ],
      }),
    );
    const img = (digest: string, mediaType: string, platforms: LockedImage['platforms']): LockedImage => ({
      ref: 'docker.io/acme/multi:v2',
      platforms,
      digest,
      mediaType,
      size: 1,
      upstreamDigest: subject,
      upstreamMediaType: 'application/vnd.oci.image.index.v1+json',
    });
    const entries = (i: LockedImage, mode: 'all' | 'signatures' | 'none' = 'signatures') =>
      impliedReferrers(i, index, mode).map((e) => e.entry);
    expect(entries(img(subject, 'application/vnd.oci.image.index.v1+json', 'all'))).toEqual([
      { image: 'docker.io/acme/multi:v2', repository: 'docker.io/acme/multi', subject },
      { image: 'docker.io/acme/multi:v2', repository: 'docker.io/acme/multi', subject: `sha256:${hex('1')}` },
      { image: 'docker.io/acme/multi:v2', repository: 'docker.io/acme/multi', subject: `sha256:${hex('2')}` },
    ]);
    expect(entries(img(`sha256:${hex('1')}`, 'application/vnd.oci.image.manifest.v1+json', ['linux/amd64']))).toEqual([
      {
        image: 'docker.io/acme/multi:v2',
        repository: 'docker.io/acme/multi',
        subject,
        upstreamIndex: { mediaType: 'application/vnd.oci.image.index.v1+json', size: index.length },
      },
      { image: 'docker.io/acme/multi:v2', repository: 'docker.io/acme/multi', subject: `sha256:${hex('1')}` },
    ]);
    expect(entries(img(subject, 'application/vnd.oci.image.index.v1+json', 'all'), 'none')).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../../src/core/digest.js';
import { Annotation, type Descriptor, type ImageIndex, MediaType } from '../../../src/core/media-types.js';
import type { Lock } from '../../../src/lock/types.js';
import { buildSbom } from '../../../src/sbom/build-sbom.js';
import type { CdxBom, CdxComponent } from '../../../src/sbom/cyclonedx.js';
import { indexChildren } from '../../../src/sbom/referrers.js';
import { sumsWithoutSbom } from '../../../src/sbom/sums.js';
import { cycloneDx15Validator } from '../../helpers/cyclonedx-schema.js';

const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}` as Digest;
const KEPT = d('kept index');
const UPSTREAM = d('upstream index');
const CHILD = d('amd64 manifest');
const REPO = 'docker.io/library/busybox';

/** A carried referrer entry as the referrer kind writes it (the carried-referrers contract, docs/supply-chain.md). */
function referrer(role: string, subject: string, digest: Digest, tag?: string): Descriptor {
  return {
    mediaType: MediaType.OciManifest,
    digest,
    size: 500,
    annotations: {
      [Annotation.RefName]: tag ? `${REPO}:${tag}` : `${REPO}@${digest}`,
      [Annotation.Kind]: 'referrer',
      [Annotation.ReferrerSubject]: subject,
      [Annotation.ReferrerRole]: role,
      [Annotation.ReferrerVia]: tag ? 'tag' : 'referrers',
      ...(tag ? { [Annotation.ReferrerTag]: tag } : {}),
      [Annotation.Source]: REPO,
    },
  };
}

const image: Descriptor = {
  mediaType: MediaType.OciIndex,
  digest: KEPT,
  size: 300,
  annotations: {
    [Annotation.RefName]: `${REPO}:1.36`,
    [Annotation.ContainerdName]: `${REPO}:1.36`,
    [Annotation.Kind]: 'image',
    [Annotation.Platforms]: 'linux/amd64',
    [Annotation.UpstreamDigest]: UPSTREAM,
  },
};
const upstreamSbom = referrer('sbom', UPSTREAM, d('sbom on the index'), `sha256-${UPSTREAM.slice(7)}.sbom`);
const childSbom = referrer('sbom', CHILD, d('sbom on the amd64 manifest'));
const signature = referrer('signature', UPSTREAM, d('signature'), `sha256-${UPSTREAM.slice(7)}.sig`);
const stray = referrer('sbom', d('an image not in the bundle'), d('stray sbom'));
const index: ImageIndex = {
  schemaVersion: 2,
  mediaType: MediaType.OciIndex,
  manifests: [image, upstreamSbom, childSbom, signature, stray],
};
const lock = {
  lockVersion: 1,
  bundle: { name: 'crafted' },
  images: [
    {
      ref: `${REPO}:1.36`,
      platforms: ['linux/amd64'],
      digest: KEPT,
      mediaType: MediaType.OciIndex,
      size: 300,
      upstreamDigest: UPSTREAM,
      upstreamMediaType: MediaType.OciIndex,
    },
  ],
  files: [],
} as unknown as Lock;
const SUMS = Buffer.from(`${'1'.repeat(64)}  index.json\n${'2'.repeat(64)}  sbom.cdx.json\n`);

async function sbom(): Promise<{ bytes: Buffer; bom: CdxBom }> {
  const children = await indexChildren(index, async (digest) =>
    digest === KEPT ? Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: CHILD }] })) : undefined,
  );
  const bytes = buildSbom({ name: 'crafted', tool: 'ferry 0.1.0', sums: sumsWithoutSbom(SUMS), index, lock, children });
  return { bytes, bom: JSON.parse(bytes.toString('utf8')) as CdxBom };
}
const byRef = (bom: CdxBom, ref: string) => bom.components.find((c) => c['bom-ref'] === ref) as CdxComponent;
const prop = (c: CdxComponent, name: string) => c.properties?.filter((p) => p.name === name).map((p) => p.value);

describe('the bundle SBOM over a crafted index.json with carried referrers', () => {
  it('validates against CycloneDX 1.5 and has one component per entry, in index.json order', async () => {
    const { bom } = await sbom();
    const validate = cycloneDx15Validator();
    expect(validate(bom), JSON.stringify(validate.errors)).toBe(true);
    expect(bom.components.map((c) => prop(c, 'ferry:oci-digest')?.[0])).toEqual(index.manifests.map((m) => m.digest));
    for (const c of bom.components) expect(PackageURL.fromString(c.purl as string).type).toBe('oci');
  });

  it('links an SBOM on the upstream index, one on a platform child, and a signature to the image; a stray one to nothing', async () => {
    const { bom } = await sbom();
    const img = byRef(bom, `${REPO}:1.36`);
    const links = (img.externalReferences ?? []).filter((r) => r.type !== 'distribution');
    expect(links.map((r) => [r.type, r.hashes?.[0]?.content])).toEqual([
      ['bom', upstreamSbom.digest.slice(7)],
      ['bom', childSbom.digest.slice(7)],
      ['other', signature.digest.slice(7)],
    ]);
    // Each link names the referrer by its purl, which carries its digest.
    expect(PackageURL.fromString(links[1]?.url as string).version).toBe(childSbom.digest);
    for (const r of [upstreamSbom, childSbom, signature])
      expect(prop(byRef(bom, r.annotations?.[Annotation.RefName] as string), 'ferry:subject-ref')).toEqual([`${REPO}:1.36`]);
    const strayC = byRef(bom, stray.annotations?.[Annotation.RefName] as string);
    expect(prop(strayC, 'ferry:subject-ref')).toEqual([]);
    expect(prop(strayC, Annotation.ReferrerRole)).toEqual(['sbom']);
  });

  it('is the same bytes every time; its serial number is a UUID v5 named by SHA256SUMS without the SBOM line', async () => {
    const a = await sbom();
    const b = await sbom();
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const withoutLine = createHash('sha256')
      .update(`${'1'.repeat(64)}  index.json\n`)
      .digest('hex');
    expect(prop(a.bom.metadata.component, 'ferry:sha256sums-sha256')).toEqual([withoutLine]);
    expect(a.bom.metadata.tools.components[0]).toMatchObject({ name: 'ferry', version: '0.1.0' });
    expect(a.bom).not.toHaveProperty('metadata.timestamp');
  });

  it('reads no manifest when the bundle carries no referrers', async () => {
    let reads = 0;
    const plain = { ...index, manifests: [image] };
    await indexChildren(plain, async () => {
      reads++;
      return undefined;
    });
    expect(reads).toBe(0);
  });
});

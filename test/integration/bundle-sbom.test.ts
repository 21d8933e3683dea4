import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSha256Sums } from '../../src/bundle/sha256sums.js';
import { cycloneDx15Validator } from '../helpers/cyclonedx-schema.js';
import { type KindFixtures, buildKindFixtures } from '../helpers/kind-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type Image, seed } from '../helpers/images.js';
import { type StandardFixtures, buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { requireTools } from '../helpers/tools.js';
import { type RawEntry, rawEntries, rawTar } from '../unit/bundle/fixtures.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A member's bytes as GNU tar extracts them: the independent reading every hash below is computed from. */
const member = (bundle: string, path: string) => execFileSync('tar', ['-xOf', bundle, path], { maxBuffer: 256 << 20 });
const prop = (c: any, name: string): string[] => (c.properties ?? []).filter((p: any) => p.name === name).map((p: any) => p.value);
const SBOM = 'sbom.cdx.json';

/** The purl-spec type each kind's components are given (docs/supply-chain.md "SBOM of the bundle"). */
const PURL_TYPE: Record<string, string | undefined> = {
  image: 'oci',
  artifact: 'oci',
  file: 'generic',
  rke2: 'generic',
  chart: 'generic',
  ferry: 'generic',
  apt: 'deb',
  'apt-meta': undefined,
};

/** An OCI artifact as ORAS pushes a file: the empty config, the type said by artifactType, one titled layer. */
function orasArtifact(): Image {
  const b = (mediaType: string, data: Buffer) => ({ mediaType, digest: `sha256:${hex(data)}`, size: data.length, data });
  const config = b('application/vnd.oci.empty.v1+json', Buffer.from('{}'));
  const layer = {
    ...b('text/plain', Buffer.from('notes for the enclave\n')),
    annotations: { 'org.opencontainers.image.title': 'notes.txt' },
  };
  const { data: _c, ...configDesc } = config;
  const { data: _l, ...layerDesc } = layer;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.acme.notes.v1',
      config: configDesc,
      layers: [layerDesc],
    }),
  );
  return {
    manifest: b('application/vnd.oci.image.manifest.v1+json', manifest),
    config,
    layers: [layer],
    platform: { os: 'none', architecture: 'none' },
  } as unknown as Image;
}

/** Rewrites a bundle's members (SHA256SUMS recomputed unless `keepSums`), as someone editing the tar by hand would. */
function rewrite(bundle: string, out: string, edit: (entries: RawEntry[]) => RawEntry[], keepSums = false): string {
  const [sums, ...rest] = rawEntries(readFileSync(bundle));
  const edited = edit(rest);
  const lines = formatSha256Sums(edited.map(([path, body]) => ({ path, hex: hex(body) })));
  writeFileSync(out, rawTar([keepSums ? (sums as RawEntry) : ['SHA256SUMS', lines], ...edited]));
  return out;
}

describe.runIf(requireTools('docker-registry', 'dpkg-deb', 'apt-ftparchive', 'gpg', 'gzip', 'zstd', 'tar'))(
  'ferry bundle sbom: the CycloneDX SBOM of a bundle of every kind',
  () => {
    let up: TestRegistry;
    let f: StandardFixtures;
    let kinds: KindFixtures;
    const dir = scratch();
    let bundle: string;
    let lockPath: string;
    let manifest: string;
    const mirror = (): [string, string][] => [['docker.io', up.url], ...kinds.mirrors];

    beforeAll(async () => {
      up = await startRegistry();
      f = await buildStandardFixtures();
      await seedStandardFixtures(up, f);
      await seed(up, 'acme/notes', '1', orasArtifact());
      kinds = await buildKindFixtures(dir);
      manifest = writeManifest(
        dir,
        `  images:\n    - alpine:3.19\n    - velero/velero:v1.9.1\n    - busybox:1.36\n    - prometheus/prometheus:v2.53.0\n` +
          `  artifacts:\n    - docker.io/acme/notes:1\n` +
          kinds.spec,
      );
      const pulled = (await pull(manifest, join(dir, 'b.tar'), mirror())).result;
      bundle = pulled.bundle;
      lockPath = pulled.lockPath;
    }, 180_000);
    afterAll(async () => {
      await kinds?.stop();
      await up?.stop();
    });

    it('writes CycloneDX 1.5 that validates against its schema, the same bytes as the member pull wrote, every time', async () => {
      const out = join(dir, 'sbom.json');
      const r = await run(['bundle', 'sbom', bundle, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^wrote .*sbom\.json: CycloneDX 1\.5, \d+ components/);
      const body = readFileSync(out);
      const validate = cycloneDx15Validator();
      const bom = JSON.parse(body.toString('utf8'));
      expect(validate(bom), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
      expect(bom.specVersion).toBe('1.5');
      // The same bundle gives the same bytes: on stdout, and as the member written into the bundle at pull.
      const again = await run(['bundle', 'sbom', bundle]);
      expect(again.code, again.stderr).toBe(0);
      expect(Buffer.from(again.stdout).equals(body)).toBe(true);
      expect(member(bundle, SBOM).equals(body)).toBe(true);
      // A second pull of the same lock writes the same bundle, so the same SBOM.
      const second = (await pull(manifest, join(dir, 'again', 'b.tar'), mirror(), { lockPath })).result;
      expect(member(second.bundle, SBOM).equals(body)).toBe(true);
      // The bundle is named by SHA256SUMS without the SBOM's own line, which coreutils can check.
      const sums = member(bundle, 'SHA256SUMS').toString('utf8');
      const without = sums
        .split('\n')
        .filter((l) => l !== '' && !l.endsWith(`  ${SBOM}`))
        .map((l) => `${l}\n`)
        .join('');
      expect(sums).toContain(`${hex(body)}  ${SBOM}\n`);
      expect(prop(bom.metadata.component, 'ferry:sha256sums-sha256')).toEqual([hex(Buffer.from(without))]);
      expect(bom.metadata.tools.components[0]).toMatchObject({ name: 'ferry', version: '0.1.0' });
    }, 120_000);

    it('has every index.json entry once, hashed as the bundle holds it, with a parseable purl of its kind', () => {
      const bom = JSON.parse(member(bundle, SBOM).toString('utf8'));
      const index = JSON.parse(member(bundle, 'index.json').toString('utf8'));
      const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
      const kindsSeen = new Set<string>();
      expect(bom.components).toHaveLength(index.manifests.length);
      for (const entry of index.manifests) {
        const kind = entry.annotations['dev.ferry.kind'];
        kindsSeen.add(kind);
        const mine = bom.components.filter((c: any) => prop(c, 'ferry:oci-digest')[0] === entry.digest);
        expect(mine, `${kind} ${entry.digest}`).toHaveLength(1);
        const c = mine[0];
        expect(prop(c, 'ferry:kind')).toEqual([kind]);
        expect(c['bom-ref']).toBe(entry.annotations['org.opencontainers.image.ref.name']);
        const manifestBytes = member(bundle, `blobs/sha256/${entry.digest.slice(7)}`);
        // Images and OCI artifacts: the root the bundle stores; apt metadata: its artifact manifest; the rest: the
        // file itself, layer 0 of its artifact manifest, read from the tar.
        const held =
          kind === 'image' || kind === 'artifact' || kind === 'apt-meta'
            ? hex(manifestBytes)
            : hex(member(bundle, `blobs/sha256/${JSON.parse(manifestBytes.toString('utf8')).layers[0].digest.slice(7)}`));
        expect(c.hashes, `${kind} ${c.name}`).toEqual([{ alg: 'SHA-256', content: held }]);
        const want = PURL_TYPE[kind];
        if (want === undefined) expect(c.purl).toBeUndefined();
        else expect(PackageURL.fromString(c.purl).type, c.purl).toBe(want);
        if (kind !== 'apt-meta' && kind !== 'ferry')
          expect(c.externalReferences?.find((x: any) => x.type === 'distribution')?.url, c.name).toBeTruthy();
        expect(prop(c, 'ferry:vouched-by').length, `${kind} ${c.name}`).toBeGreaterThan(0);
      }
      expect([...kindsSeen].sort()).toEqual(Object.keys(PURL_TYPE).sort());
      // Every artifact the lock pins is there, by its own name.
      const purls = bom.components.map((c: any) => c.purl && PackageURL.fromString(c.purl));
      const named = (type: string, name: string, version?: string) =>
        purls.filter((p: any) => p && p.type === type && p.name === name && (version === undefined || p.version === version)).length;
      for (const img of lock.images) expect(named('oci', img.ref.split('/').at(-1).split(':')[0], img.digest), img.ref).toBe(1);
      for (const file of lock.files) expect(named('generic', file.name), file.name).toBe(1);
      for (const file of lock.rke2.files) expect(named('generic', file.name, lock.rke2.version), file.name).toBe(1);
      for (const deb of lock.apt[0].debs) expect(named('deb', deb.name, deb.version), deb.name).toBe(1);
      expect(named('generic', 'tiny', '1.0.0')).toBe(1);
      expect(named('generic', 'ferry', lock.ferry.version)).toBe(1);
      // The deb purl carries its architecture and suite; a filtered image names its upstream index.
      const deb = purls.find((p: any) => p?.type === 'deb');
      expect(deb.namespace).toBe('debian');
      expect(deb.qualifiers).toMatchObject({ arch: 'amd64', distro: 'stable' });
      const prom = bom.components.find((c: any) => c.name === 'docker.io/prometheus/prometheus:v2.53.0');
      const promLock = lock.images.find((i: any) => i.ref.includes('prometheus'));
      expect(promLock.digest).not.toBe(promLock.upstreamDigest);
      expect(prop(prom, 'ferry:upstream-digest')).toEqual([promLock.upstreamDigest]);
      // ferry's release SBOM, carried as layer 1, is linked by its blob and hash.
      const ferry = bom.components.find((c: any) => prop(c, 'ferry:kind')[0] === 'ferry');
      const bomRef = ferry.externalReferences.find((x: any) => x.type === 'bom');
      expect(hex(member(bundle, bomRef.url))).toBe(bomRef.hashes[0].content);
      expect(bomRef.hashes[0].content).toBe(lock.ferry.sbom.sha256);
    });

    it('verify checks the member: altered (SHA256SUMS fixed or not) it fails naming it; a bundle without one passes with a note', async () => {
      const ok = await run(['bundle', 'verify', bundle]);
      expect(ok.code, ok.stderr).toBe(0);
      const inspect = await run(['bundle', 'inspect', bundle]);
      expect(inspect.stdout).toMatch(/^ {2}SBOM sbom\.cdx\.json \d/m);

      const alter = (entries: RawEntry[]) =>
        entries.map(([p, b]): RawEntry => [
          p,
          p === SBOM ? Buffer.from(b.toString('utf8').replace('"name": "tiny"', '"name": "tinY"')) : b,
        ]);
      const resummed = rewrite(bundle, join(dir, 'resummed.tar'), alter);
      const r1 = await run(['bundle', 'verify', resummed]);
      expect(r1.code).toBe(3);
      const problems1 = r1.stdout.split('\n').filter((l) => l.startsWith('  '));
      expect(problems1).toHaveLength(1);
      expect(problems1[0]).toMatch(/^ {2}SBOM_MISMATCH sbom\.cdx\.json: sbom\.cdx\.json: not the SBOM made again from index\.json/);

      const stale = rewrite(bundle, join(dir, 'stale.tar'), alter, true);
      const r2 = await run(['bundle', 'verify', stale]);
      expect(r2.code).toBe(3);
      const problems2 = r2.stdout.split('\n').filter((l) => l.startsWith('  '));
      expect(problems2).toEqual([expect.stringMatching(/^ {2}DIGEST_MISMATCH sbom\.cdx\.json: /)]);

      const older = rewrite(bundle, join(dir, 'older.tar'), (entries) => entries.filter(([p]) => p !== SBOM));
      const r3 = await run(['bundle', 'verify', older]);
      expect(r3.code, r3.stdout).toBe(0);
      expect(r3.stderr).toContain('no SBOM member');
      const i3 = await run(['bundle', 'inspect', older, '--json']);
      expect(JSON.parse(i3.stdout).sbom).toBeUndefined();
      // `bundle sbom` still describes it; the SBOM names it by SHA256SUMS as it is.
      const s3 = await run(['bundle', 'sbom', older]);
      expect(s3.code, s3.stderr).toBe(0);
      expect(prop(JSON.parse(s3.stdout).metadata.component, 'ferry:sha256sums-sha256')).toEqual([hex(member(older, 'SHA256SUMS'))]);
    }, 120_000);

    it('a bundle written by another ferry version: its SBOM laid out otherwise still verifies by components and hashes; a wrong hash fails naming the component', async () => {
      const older =
        (sbomEdit: (doc: { components: { 'bom-ref': string; hashes: { content: string }[] }[] }) => void) => (entries: RawEntry[]) =>
          entries.map(([p, b]): RawEntry => {
            if (p === 'ferry-bundle.json') return [p, Buffer.from(b.toString('utf8').replace(/"ferry [^"]+"/, '"ferry 0.0.1"'))];
            if (p !== SBOM) return [p, b];
            const doc = JSON.parse(b.toString('utf8'));
            sbomEdit(doc);
            return [p, Buffer.from(JSON.stringify(doc))]; // another layout: no indentation
          });
      const relaid = rewrite(
        bundle,
        join(dir, 'relaid.tar'),
        older(() => {}),
      );
      const r1 = await run(['bundle', 'verify', relaid]);
      expect(r1.code, r1.stdout + r1.stderr).toBe(0);
      expect(r1.stderr).toMatch(/sbom\.cdx\.json was written by ferry 0\.0\.1: its \d+ components and their hashes checked/);

      let victim = '';
      const wrong = rewrite(
        bundle,
        join(dir, 'wrong-hash.tar'),
        older((doc) => {
          const c = doc.components.find((x) => x.hashes?.length) as (typeof doc.components)[number];
          victim = c['bom-ref'];
          c.hashes[0].content = '0'.repeat(64);
        }),
      );
      const r2 = await run(['bundle', 'verify', wrong]);
      expect(r2.code).toBe(3);
      const problems = r2.stdout.split('\n').filter((l) => l.startsWith('  '));
      expect(problems).toEqual([expect.stringContaining(`component ${victim}: SHA-256 ${'0'.repeat(64)}, the bundle holds `)]);
    }, 120_000);
  },
);

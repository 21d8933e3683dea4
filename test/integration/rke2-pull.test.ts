import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectBundle } from '../../src/inspect/inspect-bundle.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { type FixtureRelease, buildRke2Release, hostRelease } from '../helpers/rke2-release.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('zstd');
const VERSION = 'v1.30.4+rke2r1';
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.runIf(ok)('RKE2 release pull', () => {
  let host: FileHost;
  let release: FixtureRelease;
  beforeAll(async () => {
    release = await buildRke2Release(VERSION);
    host = await startFileHost();
    hostRelease(host, release);
  });
  afterAll(async () => host?.stop());

  // The manifest keeps the default upstream URLs; mirrors send them to the fixture host, as a user's would.
  const mirrors = (): [string, string][] => [
    ['https://github.com/rancher/rke2/releases/download/', `${host.url}/releases/`],
    ['https://get.rke2.io', `${host.url}/install.sh`],
  ];
  const spec = (extra = '') => `  rke2:\n    version: ${VERSION}\n${extra}`;

  it('resolves every file from sha256sum-amd64.txt, reads the image tarballs, and records the vouching chain', async () => {
    const dir = scratch();
    const out = join(dir, 'b.tar');
    const { result, events } = await pull(writeManifest(dir, spec('    imageSets: [core, calico]\n')), out, mirrors());
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    const sums = release.assets.get('sha256sum-amd64.txt') as Buffer;
    const listUrl = `https://github.com/rancher/rke2/releases/download/${encodeURIComponent(VERSION)}/sha256sum-amd64.txt`;
    expect(lock.rke2.files.map((f: { name: string; role: string }) => `${f.role} ${f.name}`)).toEqual([
      'install-script install.sh',
      'images rke2-images-calico.linux-amd64.tar.zst',
      'image-list rke2-images-calico.linux-amd64.txt',
      'images rke2-images-core.linux-amd64.tar.zst',
      'image-list rke2-images-core.linux-amd64.txt',
      'binary rke2.linux-amd64.tar.gz',
      'checksums sha256sum-amd64.txt',
    ]);
    const core = lock.rke2.files.find((f: { name: string }) => f.name === 'rke2-images-core.linux-amd64.tar.zst');
    const line =
      sums
        .toString()
        .split('\n')
        .findIndex((l) => l.endsWith('  rke2-images-core.linux-amd64.tar.zst')) + 1;
    expect(core.vouchedBy).toEqual({ kind: 'checksums', url: listUrl, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), line });
    expect(core.images).toEqual(
      release.sets
        .get('core')
        ?.map((i) => i.ref)
        .sort(),
    );
    expect(lock.rke2.files.find((f: { role: string }) => f.role === 'install-script').vouchedBy).toEqual({ kind: 'first-fetch' });
    // The + of the tag travels percent-encoded.
    expect(host.log.filter((l) => l.path.includes('/releases/')).every((l) => l.raw.includes('v1.30.4%2Brke2r1'))).toBe(true);
    expect(events.some((e) => e.type === 'info' && e.message.includes('rke2-images-calico.linux-amd64.tar.zst: 1 images (tarball)'))).toBe(
      true,
    );

    const verified = await verifyBundle(out);
    expect(verified.problems).toEqual([]);
    const inspected = await inspectBundle(out);
    const coreTar = inspected.artifacts.find((a) => a.name === 'rke2-images-core.linux-amd64.tar.zst');
    expect(coreTar).toMatchObject({ kind: 'rke2', role: 'images', images: core.images });
  });

  it('defaults to the all-in-one tarball; an unknown image set fails listing the sets the release has', async () => {
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, spec('    installScript: false\n')), join(dir, 'b.tar'), mirrors());
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    expect(lock.rke2.files.map((f: { name: string }) => f.name)).toEqual([
      'rke2-images.linux-amd64.tar.zst',
      'rke2-images.linux-amd64.txt',
      'rke2.linux-amd64.tar.gz',
      'sha256sum-amd64.txt',
    ]);
    const bad = scratch();
    await expect(pull(writeManifest(bad, spec('    imageSets: [core, cilium]\n')), join(bad, 'b.tar'), mirrors())).rejects.toMatchObject({
      code: 'RKE2_SET_UNKNOWN',
      message: expect.stringMatching(/no image set cilium; .*sha256sum-amd64\.txt lists these sets: calico, canal, core$/),
    });
  });

  // The manifest keeps the default installScriptUrl https://get.rke2.io; the rules spell it another way, as URLs.
  it.each([
    ['https://get.rke2.io/', '/', ''],
    ['HTTPS://GET.RKE2.IO:443', '/install.sh', '/install.sh'],
  ])(
    'bin/ferry --mirror %s=… covers the default install-script URL and fetches install.sh from the local host',
    async (from, served, toPath) => {
      const getHost = await startFileHost({ [served]: release.installScript });
      try {
        const dir = scratch();
        const out = join(dir, 'b.tar');
        const r = await run([
          'bundle',
          'pull',
          writeManifest(dir, spec('    imageSets: [core]\n')),
          '-o',
          out,
          '--cache',
          join(dir, 'cache'),
          '--no-progress',
          '--mirror',
          `https://github.com/rancher/rke2/releases/download/=${host.url}/releases/`,
          '--mirror',
          `${from}=${getHost.url}${toPath}`,
        ]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        // Resolved (pinned) and then downloaded: both from the mirror.
        expect(getHost.log.length).toBeGreaterThan(0);
        expect([...new Set(getHost.log.map((l) => `${l.method} ${l.path}`))]).toEqual([`GET ${served}`]);
        const script = JSON.parse(readFileSync(`${out}.lock.json`, 'utf8')).rke2.files.find(
          (f: { role: string }) => f.role === 'install-script',
        );
        // The lock keeps the URL as the manifest has it (the default), and pins what the mirror served.
        expect(script).toMatchObject({ name: 'install.sh', url: 'https://get.rke2.io', sha256: hex(release.installScript) });
      } finally {
        await getHost.stop();
      }
    },
  );

  it('--lock pulls the same bytes again; a changed spec.rke2 is a lock mismatch', async () => {
    const dir = scratch();
    const manifest = writeManifest(dir, spec('    imageSets: [core]\n'));
    const first = await pull(manifest, join(dir, 'a.tar'), mirrors());
    const again = await pull(manifest, join(dir, 'sub', 'b.tar'), mirrors(), { lockPath: first.result.lockPath });
    expect(readFileSync(again.result.bundle).equals(readFileSync(first.result.bundle))).toBe(true);
    const changed = writeManifest(scratch(), spec('    imageSets: [core, calico]\n'));
    await expect(pull(changed, join(dir, 'c.tar'), mirrors(), { lockPath: first.result.lockPath })).rejects.toMatchObject({
      code: 'LOCK_MISMATCH',
      message: expect.stringContaining('rke2.imageSets changed: the manifest says [calico, core], the lock says [core]'),
    });
  });

  it('refuses a tampered tarball, naming the file, its URL and both digests, and leaves no bundle behind', async () => {
    const dir = scratch();
    const path = `/releases/${VERSION}/rke2-images-calico.linux-amd64.tar.zst`;
    const good = host.files.get(path) as Buffer;
    const bad = Buffer.from(good);
    bad[bad.length - 10] ^= 0xff;
    host.files.set(path, bad);
    try {
      const err = await pull(writeManifest(dir, spec('    imageSets: [calico]\n')), join(dir, 'b.tar'), mirrors()).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DIGEST_MISMATCH' });
      const msg = (err as Error).message;
      expect(msg).toContain('rke2-images-calico.linux-amd64.tar.zst');
      expect(msg).toContain('sha256sum-amd64.txt');
      expect(msg).toContain(`https://github.com/rancher/rke2/releases/download/v1.30.4%2Brke2r1/rke2-images-calico.linux-amd64.tar.zst`);
      expect(msg).toContain(hex(good));
      expect(msg).toContain(hex(bad));
      expect(existsSync(join(dir, 'b.tar'))).toBe(false);
    } finally {
      host.files.set(path, good);
    }
  });

  it('refuses a file the checksum list does not name, and a tarball whose images differ from its list', async () => {
    const sumsPath = `/releases/${VERSION}/sha256sum-amd64.txt`;
    const sums = host.files.get(sumsPath) as Buffer;
    host.files.set(
      sumsPath,
      Buffer.from(
        sums
          .toString()
          .split('\n')
          .filter((l) => !l.endsWith('rke2.linux-amd64.tar.gz'))
          .join('\n'),
      ),
    );
    try {
      const dir = scratch();
      await expect(pull(writeManifest(dir, spec()), join(dir, 'b.tar'), mirrors())).rejects.toMatchObject({
        code: 'CHECKSUM_MISSING',
        message: expect.stringContaining(
          'rke2.linux-amd64.tar.gz: not listed in checksum file https://github.com/rancher/rke2/releases/download/v1.30.4%2Brke2r1/sha256sum-amd64.txt',
        ),
      });
    } finally {
      host.files.set(sumsPath, sums);
    }

    // A list that names an image the tarball lacks (and the checksum list updated to match, as a broken release would be).
    const listPath = `/releases/${VERSION}/rke2-images-canal.linux-amd64.txt`;
    const list = host.files.get(listPath) as Buffer;
    const longer = Buffer.concat([list, Buffer.from('docker.io/rancher/not-there:v1\n')]);
    host.files.set(listPath, longer);
    host.files.set(sumsPath, Buffer.from(sums.toString().replace(hex(list), hex(longer))));
    try {
      const dir = scratch();
      await expect(pull(writeManifest(dir, spec('    imageSets: [canal]\n')), join(dir, 'b.tar'), mirrors())).rejects.toMatchObject({
        code: 'IMAGE_LIST_MISMATCH',
        message: expect.stringContaining('listed but not in the tarball: docker.io/rancher/not-there:v1'),
      });
    } finally {
      host.files.set(listPath, list);
      host.files.set(sumsPath, sums);
    }
  });
});

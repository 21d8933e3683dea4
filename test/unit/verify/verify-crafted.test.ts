import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundleReader } from '../../../src/bundle/reader.js';
import { formatSha256Sums } from '../../../src/bundle/sha256sums.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import { Readable } from 'node:stream';
import { Annotation, type Descriptor, MediaType } from '../../../src/core/media-types.js';
import { copyGraph } from '../../../src/graph/copy.js';
import { successors } from '../../../src/graph/successors.js';
import { walkGraph } from '../../../src/graph/walk.js';
import { inspectBundle } from '../../../src/inspect/inspect-bundle.js';
import { buildAuditReport } from '../../../src/report/audit-model.js';
import { verifyBundle } from '../../../src/verify/verify-bundle.js';
import { type RawEntry, rawEntries, rawTar, sampleBundle, tempDir } from '../bundle/fixtures.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function goodBundle(split?: number) {
  const path = join(tempDir('ferry-crafted-'), 'b.tar');
  const { opts } = sampleBundle(path);
  await writeBundle({ ...opts, ...(split ? { splitSize: split } : {}) });
  return path;
}

/** An attacker's rebuild: members changed, SHA256SUMS recomputed over them (plus `extraLines`). */
function craft(path: string, mutate: (e: RawEntry[]) => RawEntry[], extraLines: { path: string; hex: string }[] = []): string {
  const [, ...rest] = rawEntries(readFileSync(path)) as [RawEntry, ...RawEntry[]];
  const entries = mutate(rest);
  const sums = formatSha256Sums([...entries.map(([p, b]) => ({ path: p, hex: hex(b) })), ...extraLines]);
  const out = `${path}.crafted.tar`;
  writeFileSync(out, rawTar([['SHA256SUMS', sums], ...entries]));
  return out;
}

const replace = (name: string, body: string | Buffer) => (e: RawEntry[]) =>
  e.map(([p, b]): RawEntry => [p, p === name ? Buffer.from(body) : b]);

/** A file artifact whose manifest blob is `manifest` (named by its hash, so it passes the content checks). */
function fileWithManifest(manifest: Buffer) {
  const lock = Buffer.from(
    JSON.stringify({
      lockVersion: 1,
      bundle: { name: 'sample' },
      images: [],
      files: [{ name: 'x.txt', url: 'https://e.org/x.txt', sha256: 'a'.repeat(64), vouchedBy: { kind: 'inline' } }],
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        {
          mediaType: MediaType.OciManifest,
          digest: `sha256:${hex(manifest)}`,
          size: manifest.length,
          annotations: { [Annotation.Kind]: 'file', [Annotation.Title]: 'x.txt' },
        },
      ],
    }),
  );
  return (e: RawEntry[]): RawEntry[] => [
    ...e
      .filter(([p]) => !p.startsWith('blobs/'))
      .map(([p, b]): RawEntry => [p, p === 'ferry.lock.json' ? lock : p === 'index.json' ? index : b]),
    [`blobs/sha256/${hex(manifest)}`, manifest],
  ];
}

/** An image whose manifest blob is `manifest`, locked and indexed consistently (so the validation gate passes it). */
function imageWithManifest(manifest: Buffer) {
  const ref = 'docker.io/library/hello:1.0';
  const digest = `sha256:${hex(manifest)}`;
  const lock = Buffer.from(
    JSON.stringify({
      lockVersion: 1,
      bundle: { name: 'sample' },
      images: [
        {
          ref,
          platforms: 'all',
          digest,
          mediaType: MediaType.OciManifest,
          size: manifest.length,
          upstreamDigest: digest,
          upstreamMediaType: MediaType.OciManifest,
        },
      ],
      files: [],
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        {
          mediaType: MediaType.OciManifest,
          digest,
          size: manifest.length,
          annotations: { [Annotation.Kind]: 'image', [Annotation.RefName]: ref },
        },
      ],
    }),
  );
  return (e: RawEntry[]): RawEntry[] => [
    ...e
      .filter(([p]) => !p.startsWith('blobs/'))
      .map(([p, b]): RawEntry => [p, p === 'ferry.lock.json' ? lock : p === 'index.json' ? index : b]),
    [`blobs/sha256/${hex(manifest)}`, manifest],
  ];
}

describe('verify: malformed JSON inside a bundle is a problem naming the member, never a crash', () => {
  for (const member of ['ferry-bundle.json', 'index.json', 'ferry.lock.json', 'oci-layout']) {
    it(`${member}`, async () => {
      const res = await verifyBundle(craft(await goodBundle(), replace(member, '{"truncated": ')));
      expect(res.ok).toBe(false);
      expect(res.problems).toContainEqual(
        expect.objectContaining({ path: member, code: 'MALFORMED', message: expect.stringContaining(member) }),
      );
    });
  }

  for (const [what, body] of [
    ['broken JSON', '{"layers": ['],
    ['null', 'null'],
    ['an array', '[1]'],
    ['layers not a list', '{"schemaVersion":2,"layers":{"0":1}}'],
  ] as const) {
    it(`a file manifest that is ${what}`, async () => {
      const manifest = Buffer.from(body);
      const res = await verifyBundle(craft(await goodBundle(), fileWithManifest(manifest)));
      expect(res.ok).toBe(false);
      expect(res.problems).toContainEqual(expect.objectContaining({ code: 'MALFORMED', path: `blobs/sha256/${hex(manifest)}` }));
    });
  }

  it('audit: a lock that is not JSON is a FAIL report naming it (exit 3), not a LOCK_INVALID with no report', async () => {
    const bad = craft(await goodBundle(), replace('ferry.lock.json', '{"truncated": '));
    const report = await buildAuditReport(bad, await verifyBundle(bad), 'ferry test');
    expect(report.totals).toMatchObject({ artifacts: 0, failed: 0 });
    expect(report.totals.problems).toBeGreaterThan(0);
    expect(report.problems).toContainEqual(expect.objectContaining({ path: 'ferry.lock.json', code: 'MALFORMED' }));
  });

  it('BundleReader (push, stage, serve, inspect) refuses malformed metadata with an integrity code naming the member', async () => {
    for (const member of ['ferry-bundle.json', 'index.json']) {
      const bad = craft(await goodBundle(), replace(member, '{"truncated": '));
      await expect(BundleReader.open(bad)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED', message: expect.stringContaining(member) });
    }
    const notIndex = craft(await goodBundle(), replace('index.json', '[]'));
    await expect(BundleReader.open(notIndex)).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      message: expect.stringContaining('index.json'),
    });
  });

  it('inspect, push and serve (which do not verify first) report an image manifest blob that is not a JSON object as damage (INTEGRITY_FAILED, exit 3) naming the blob', async () => {
    for (const body of [
      'null',
      '{"layers": [',
      '[]',
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[null]}',
    ]) {
      const manifest = Buffer.from(body);
      const member = `blobs/sha256/${hex(manifest)}`;
      const bad = craft(await goodBundle(), imageWithManifest(manifest));
      const damaged = { name: 'FerryError', code: 'INTEGRITY_FAILED', message: expect.stringContaining(member) };
      await expect(inspectBundle(bad)).rejects.toMatchObject(damaged);
      // The graph walk and copy shared with pull (push, serve and audit read a bundle through them).
      const reader = await BundleReader.open(bad);
      try {
        const root = reader.index().manifests[0] as Descriptor;
        await expect(walkGraph(reader, [root])).rejects.toMatchObject(damaged);
        const sink = {
          exists: async () => false,
          fetch: async () => Readable.from([]),
          push: async (_d: Descriptor, r: Readable) => void r.resume(),
        };
        await expect(copyGraph(reader, sink, root)).rejects.toMatchObject(damaged);
      } finally {
        await reader.close();
      }
    }
  });

  it('registry content keeps its own code: a manifest that is not a JSON object from an upstream is BUNDLE_INVALID', () => {
    const desc = { mediaType: MediaType.OciManifest, digest: `sha256:${'a'.repeat(64)}`, size: 4 } as Descriptor;
    expect(() => successors(desc, Buffer.from('null'))).toThrow(
      expect.objectContaining({ code: 'BUNDLE_INVALID', message: expect.stringContaining('is not a JSON object') }),
    );
  });
});

describe('verify: what SHA256SUMS lists must be what the archive holds', () => {
  it('reports each listed file the archive lacks, including a listed SHA256SUMS.sig and a listed directory', async () => {
    const ghost = `blobs/sha256/${'e'.repeat(64)}`;
    const bad = craft(await goodBundle(), (e) => [...e, ['blobs/', Buffer.alloc(0)]], [
      { path: ghost, hex: 'e'.repeat(64) },
      { path: 'SHA256SUMS.sig', hex: 'f'.repeat(64) },
    ]); // 'blobs/' gets its line from craft(), which lists every member
    // craft() wrote 'blobs/' as a regular file; make it a directory entry (typeflag 5) with its header checksum.
    const tar = readFileSync(bad);
    const at = tar.indexOf(Buffer.from('blobs/\0'));
    tar[at + 156] = 0x35;
    tar.fill(0x20, at + 148, at + 156);
    let sum = 0;
    for (let i = at; i < at + 512; i++) sum += tar[i] as number;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
    writeFileSync(bad, tar);
    const res = await verifyBundle(bad);
    expect(res.problems.map((p) => [p.path, p.code])).toEqual(
      expect.arrayContaining([
        [ghost, 'MISSING'],
        ['SHA256SUMS.sig', 'MALFORMED'],
        ['blobs/', 'MALFORMED'],
      ]),
    );
  });
});

describe('verify: data after the end-of-archive marker', () => {
  it('is reported when it is not zeros, with its offset; zero padding (tar -c pads to 10 KiB) is accepted', async () => {
    const path = await goodBundle();
    const size = readFileSync(path).length;
    const padded = `${path}.padded.tar`;
    writeFileSync(padded, Buffer.concat([readFileSync(path), Buffer.alloc(10240 - (size % 10240))]));
    expect(await verifyBundle(padded)).toMatchObject({ ok: true, problems: [] });

    appendFileSync(path, Buffer.concat([Buffer.alloc(700), Buffer.from('#!/bin/sh\necho payload\n')]));
    const res = await verifyBundle(path);
    expect(res.ok).toBe(false);
    expect(res.problems).toEqual([
      expect.objectContaining({ code: 'UNEXPECTED', message: expect.stringMatching(new RegExp(`${size + 700}`)) }),
    ]);
    expect(res.bytes).toBe(readFileSync(path).length);
  });

  it('is reported in the last part of a split bundle, and the part named as damaged', async () => {
    const path = await goodBundle(1 << 20);
    const parts = JSON.parse(readFileSync(`${path}.parts.json`, 'utf8')) as { parts: { name: string; size: number; sha256: string }[] };
    const last = parts.parts[parts.parts.length - 1]!;
    // The attacker appends to the last part and fixes up the parts list, as they would SHA256SUMS.
    const lastPath = join(path, '..', last.name);
    appendFileSync(lastPath, Buffer.from('trailing junk'));
    last.size += 13;
    last.sha256 = hex(readFileSync(lastPath));
    writeFileSync(`${path}.parts.json`, JSON.stringify({ ...parts, size: (parts as unknown as { size: number }).size + 13 }));
    const res = await verifyBundle(path);
    expect(res.problems).toEqual([
      expect.objectContaining({ code: 'UNEXPECTED', message: expect.stringMatching(/after the end-of-archive marker/) }),
    ]);
  });
});

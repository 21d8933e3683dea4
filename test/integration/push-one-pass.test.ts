import { copyFileSync, openSync, readFileSync, readSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { BundleReader } from '../../src/bundle/reader.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { startChaosProxy } from '../helpers/chaos-proxy.js';
import { type StandardFixtures, buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry');

/** A copy of the bundle with one byte of a blob's member flipped (SHA256SUMS left as it was: damage, not an edit). */
async function flipByteOf(bundle: string, digest: string, out: string): Promise<string> {
  copyFileSync(bundle, out);
  const reader = await BundleReader.open(out);
  const e = reader.entry(`blobs/sha256/${digest.slice(7)}`);
  await reader.close();
  if (!e) throw new Error(`no member for ${digest}`);
  const at = e.offset + Math.floor(e.size / 2);
  const fd = openSync(out, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = (b[0] as number) ^ 0x01;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
  return out;
}

const json = async (url: string): Promise<any> => {
  const res = await fetch(url);
  return res.status === 200 ? res.json() : { status: res.status };
};

describe.runIf(ok)('push in one pass: each blob hashed as it goes up, tags set last', () => {
  let up: TestRegistry;
  let f: StandardFixtures;
  let bundle: string;
  let dir: string;
  let host: FileHost;
  const tool = Buffer.from('a file the nodes get, never pushed\n');

  beforeAll(async () => {
    up = await startRegistry();
    f = await buildStandardFixtures();
    await seedStandardFixtures(up, f);
    dir = scratch();
    host = await startFileHost({ '/tool.txt': tool });
    const sha = createHash('sha256').update(tool).digest('hex');
    const manifest = writeManifest(
      dir,
      `  images:\n    - team/app-a:1\n    - team/app-b:1\n    - alpine:3.19\n  files:\n    - url: ${host.url}/tool.txt\n      sha256: ${sha}\n`,
    );
    bundle = (await pull(manifest, join(dir, 'b.tar'), [['docker.io', up.url]])).result.bundle;
  });
  afterAll(async () => {
    await up?.stop();
    await host?.stop();
  });

  it('a flipped byte in a blob the registry lacks stops the push before any tag moves, naming the blob (exit 3)', async () => {
    const own = f.appB.layers[1]?.digest as string;
    const damaged = await flipByteOf(bundle, own, join(dir, 'flip-lacking.tar'));
    const down = await startRegistry();
    try {
      const r = await run(['bundle', 'push', damaged, '--registry', down.host, '--plain-http', '--no-progress']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('DIGEST_MISMATCH');
      expect(r.stderr).toContain(`blobs/sha256/${own.slice(7)}`);
      expect(r.stderr).toContain('no tag was set');
      // Blobs may have gone up, but no repository has a tag: the tag phase never started.
      const catalog = (await json(`${down.url}/v2/_catalog`)) as { repositories: string[] };
      for (const repo of catalog.repositories) {
        const tags = await json(`${down.url}/v2/${repo}/tags/list`);
        expect(tags.tags ?? []).toEqual([]);
      }
      for (const [repo, tag] of [
        ['team/app-a', '1'],
        ['team/app-b', '1'],
        ['library/alpine', '3.19'],
      ]) {
        const head = await fetch(`${down.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD' });
        expect(head.status).toBe(404);
      }
    } finally {
      await down.stop();
    }
  });

  it('a flipped byte in a blob the registry already has is not read nor uploaded: the push succeeds, verify reports it', async () => {
    const base = f.appA.layers[0]?.digest as string;
    const damaged = await flipByteOf(bundle, base, join(dir, 'flip-present.tar'));
    const down = await startRegistry();
    try {
      // The registry holds app-a (and so the shared base layer); app-b and alpine are new to it.
      const first = await run(['bundle', 'push', bundle, '--registry', down.host, '--plain-http', '--no-progress', '--json']);
      expect(first.code).toBe(0);
      const appB = (JSON.parse(first.stdout).images as { target: string; digest: string }[]).find((i) => i.target.endsWith('app-b:1'));
      const del = await fetch(`${down.url}/v2/team/app-b/manifests/${appB?.digest}`, { method: 'DELETE' });
      expect(del.status).toBe(202);

      const proxy = await startChaosProxy(down.url);
      try {
        const r = await run(['bundle', 'push', damaged, '--registry', proxy.host, '--plain-http', '--no-progress', '--json']);
        expect(r.stderr).toBe('warning: the bundle is unsigned\n');
        expect(r.code).toBe(0);
        const images = JSON.parse(r.stdout).images as { target: string; upToDate: boolean }[];
        expect(images.filter((i) => !i.upToDate).map((i) => i.target)).toEqual([`${proxy.host}/team/app-b:1`]);
        // The damaged base layer was found (HEAD) and never sent.
        const sent = proxy.log.filter((l) => l.path.includes(base) && l.method !== 'HEAD');
        expect(sent).toEqual([]);
        expect(proxy.log.some((l) => l.method === 'HEAD' && l.path.includes(base))).toBe(true);
      } finally {
        await proxy.stop();
      }
      const tags = await json(`${down.url}/v2/team/app-b/tags/list`);
      expect(tags.tags).toEqual(['1']);

      const v = await run(['bundle', 'verify', damaged]);
      expect(v.code).toBe(3);
      expect(v.stdout + v.stderr).toContain(`DIGEST_MISMATCH blobs/sha256/${base.slice(7)}`);
    } finally {
      await down.stop();
    }
  });

  it('a repeated push sends one HEAD per tag and nothing else, and reads no blob', async () => {
    const down = await startRegistry();
    try {
      expect((await run(['bundle', 'push', bundle, '--registry', down.host, '--plain-http', '--no-progress'])).code).toBe(0);
      // Every layer of the copy pushed again is damaged: a push that read one would stop.
      let again = bundle;
      const layers = [...f.appA.layers, ...f.appB.layers].map((l) => l.digest);
      for (const [i, d] of [...new Set(layers)].entries()) again = await flipByteOf(again, d, join(dir, `again-${i}.tar`));
      const proxy = await startChaosProxy(down.url);
      try {
        const r = await run(['bundle', 'push', again, '--registry', proxy.host, '--plain-http', '--no-progress', '--json']);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout).images.every((i: { upToDate: boolean }) => i.upToDate)).toBe(true);
        const requests = proxy.log.map((l) => `${l.method} ${l.path}`).sort();
        expect(requests).toEqual([
          'HEAD /v2/library/alpine/manifests/3.19',
          'HEAD /v2/team/app-a/manifests/1',
          'HEAD /v2/team/app-b/manifests/1',
        ]);
      } finally {
        await proxy.stop();
      }
    } finally {
      await down.stop();
    }
  });

  it('push --report gives each row its computed sha256, or says why push did not read it', async () => {
    const down = await startRegistry();
    try {
      expect((await run(['bundle', 'push', bundle, '--registry', down.host, '--plain-http', '--no-progress'])).code).toBe(0);
      const out = join(dir, 'report.json');
      const r = await run(['bundle', 'push', bundle, '--registry', down.host, '--plain-http', '--no-progress', '--report', out]);
      expect(r.code).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      expect(report.reportVersion).toBe(3);
      expect(report.totals).toMatchObject({ artifacts: 4, ok: 4, failed: 0, registryChecked: 3, registryFailed: 0 });
      // Images: the manifest (the pinned digest) is checked before the push, so each row has its computed sha256.
      const images = report.rows.filter((row: { kind: string }) => row.kind === 'image');
      expect(images).toHaveLength(3);
      for (const row of images) expect([row.computed, row.notRead]).toEqual([row.expected, undefined]);
      // The file is staged on nodes, never pushed: push did not read it, and says so instead of a checksum.
      const file = report.rows.find((row: { kind: string }) => row.kind === 'file');
      expect(file).toMatchObject({ result: 'ok', notRead: 'not pushed (staged on nodes, not sent to a registry), not read' });
      expect(file.computed).toBeUndefined();
      const md = join(dir, 'report.md');
      expect((await run(['bundle', 'push', bundle, '--registry', down.host, '--plain-http', '--no-progress', '--report', md])).code).toBe(
        0,
      );
      expect(readFileSync(md, 'utf8')).toContain('not pushed (staged on nodes, not sent to a registry), not read');
    } finally {
      await down.stop();
    }
  });
});

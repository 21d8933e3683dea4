import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffBundles } from '../../src/diff/diff-bundles.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { type Image, makeImage, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry');

describe.runIf(ok)('delta bundles against what the enclave has', () => {
  let up: TestRegistry;
  let enclave: TestRegistry;
  let v1: Image;
  let v2: Image;
  let base: { digest: string };
  let top2: { digest: string; size: number };
  let dir: string;
  let full1: string;
  let full2: string;
  const manifest = (tag: string) => writeManifest(scratch(), `  images:\n    - team/app:${tag}\n    - team/tools:1\n`);

  beforeAll(async () => {
    up = await startRegistry();
    enclave = await startRegistry();
    const baseLayer = await makeLayer({ seed: 'delta-base', size: 3 << 20, gzip: true });
    base = baseLayer;
    v1 = makeImage({ layers: [baseLayer, await makeLayer({ seed: 'delta-top-1', size: 200_000, gzip: true })], label: 'v1' });
    const topLayer2 = await makeLayer({ seed: 'delta-top-2', size: 200_000, gzip: true });
    top2 = topLayer2;
    v2 = makeImage({ layers: [baseLayer, topLayer2], label: 'v2' });
    await seed(up, 'team/app', '1', v1);
    await seed(up, 'team/app', '2', v2);
    await seed(
      up,
      'team/tools',
      '1',
      makeImage({ layers: [await makeLayer({ seed: 'delta-tools', size: 1 << 20, gzip: true })], label: 'tools' }),
    );
    dir = scratch();
    full1 = (await pull(manifest('1'), join(dir, 'full1', 'b.tar'), [['docker.io', up.url]])).result.bundle;
    full2 = (await pull(manifest('2'), join(dir, 'full2', 'b.tar'), [['docker.io', up.url]])).result.bundle;
    const pushed = await run(['bundle', 'push', full1, '--registry', enclave.host, '--plain-http']);
    expect(pushed.code, pushed.stderr).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await up?.stop();
    await enclave?.stop();
  });

  it('an inventory of the enclave registry lists its repositories, tags and blobs', async () => {
    const r = await run(['registry', 'inventory', '--registry', enclave.host, '--plain-http', '-o', join(dir, 'inv.json')]);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(readFileSync(join(dir, 'inv.json'), 'utf8'));
    expect(inv.repositories.map((x: { name: string; tags: object }) => [x.name, Object.keys(x.tags)])).toEqual([
      ['team/app', ['1']],
      ['team/tools', ['1']],
    ]);
    expect(inv.blobs).toContain(base.digest);
  });

  it('a delta built from the inventory carries only what changed; pushed onto the base registry, every tag ends at its digest', async () => {
    const delta = await pull(manifest('2'), join(dir, 'delta', 'b.tar'), [['docker.io', up.url]], { sincePath: join(dir, 'inv.json') });
    const size = statSync(delta.result.bundle).size;
    const fullSize = statSync(full2).size;
    // About the changed layer: well under the full bundle, and more than the new top layer.
    expect(size).toBeGreaterThan(top2.size);
    expect(size).toBeLessThan(top2.size + 200_000);
    expect(fullSize).toBeGreaterThan(4 << 20);
    expect(delta.result.omitted).toBeGreaterThanOrEqual(2);
    expect((await verifyBundle(delta.result.bundle)).problems).toEqual([]);
    const d = await diffBundles(full1, full2);
    expect(d.changed.map((c) => c.name)).toEqual([]);
    expect(d.added.map((c) => c.name)).toEqual(['docker.io/team/app:2']);
    expect(d.removed.map((c) => c.name)).toEqual(['docker.io/team/app:1']);
    expect(d.bytesToCarry).toBeLessThan(top2.size + 10_000);

    const pushed = await run([
      'bundle',
      'push',
      delta.result.bundle,
      '--registry',
      enclave.host,
      '--plain-http',
      '--report',
      join(dir, 'delta-push.json'),
    ]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'delta-push.json'), 'utf8'));
    expect(report.registry.tags.map((t: { target: string; result: string }) => `${t.result} ${t.target}`).sort()).toEqual([
      `ok ${enclave.host}/team/app:2`,
      `ok ${enclave.host}/team/tools:1`,
    ]);
    expect(report.registry.tags.find((t: { target: string }) => t.target.endsWith('app:2')).expected).toBe(v2.manifest.digest);
    // The audit of a delta passes: left-out content is said to be left out, not reported missing.
    expect(report.totals).toMatchObject({ failed: 0, problems: 0 });
  });

  it('a delta pushed where a base blob is missing fails before any tag moves, naming what is missing', async () => {
    const fresh = await startRegistry();
    try {
      const delta = join(dir, 'delta', 'b.tar');
      const r = await run(['bundle', 'push', delta, '--registry', fresh.host, '--plain-http']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('DELTA_BASE_MISSING');
      expect(r.stderr).toContain(`${base.digest} (needed by docker.io/team/app:2`);
      const catalog = (await (await fetch(`${fresh.url}/v2/_catalog`)).json()) as { repositories: string[] };
      for (const repo of catalog.repositories) {
        const tags = (await (await fetch(`${fresh.url}/v2/${repo}/tags/list`)).json()) as { tags: string[] | null };
        expect(tags.tags ?? []).toEqual([]);
      }
    } finally {
      await fresh.stop();
    }
  });

  it('a delta against the last lock leaves out the same base layer', async () => {
    const delta = await pull(manifest('2'), join(dir, 'delta-lock', 'b.tar'), [['docker.io', up.url]], {
      sincePath: join(dir, 'full1', 'b.tar.lock.json'),
    });
    expect(statSync(delta.result.bundle).size).toBeLessThan(top2.size + 200_000);
    const meta = JSON.parse(
      readFileSync(delta.result.bundle)
        .subarray(0, 64 * 1024)
        .toString('latin1')
        .match(/\{\s*"formatVersion"[\s\S]*?\n\}\n/)?.[0] ?? '{}',
    );
    expect(meta.delta.base).toMatchObject({ kind: 'lock', file: 'b.tar.lock.json' });
    expect(meta.delta.omitted.map((o: { digest: string }) => o.digest)).toContain(base.digest);
  });
});

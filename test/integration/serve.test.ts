import { connect } from 'node:net';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServingBundle, serveBundle } from '../../src/serve/serve-bundle.js';
import { type StandardFixtures, buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'skopeo');
const sh = promisify(execFile);

describe.runIf(ok)('bundle serve: a read-only OCI registry from the bundle file', () => {
  let up: TestRegistry;
  let f: StandardFixtures;
  let bundle: string;
  let served: ServingBundle;

  beforeAll(async () => {
    up = await startRegistry();
    f = await buildStandardFixtures();
    await seedStandardFixtures(up, f);
    const dir = scratch();
    const m = writeManifest(
      dir,
      `  images:\n    - alpine:3.19\n    - velero/velero:v1.9.1\n    - ref: prometheus/prometheus:v2.53.0\n      platforms: all\n`,
    );
    bundle = (await pull(m, join(dir, 'b.tar'), [['docker.io', up.url]])).result.bundle;
    served = await serveBundle({ bundlePath: bundle, host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await served?.close();
    await up?.stop();
  });

  it('serves the pull workflow: catalog, tags, manifests by tag and digest with the right headers, blobs with Range', async () => {
    expect(served.repositories).toEqual(['library/alpine', 'prometheus/prometheus', 'velero/velero']);
    expect(await (await fetch(`${served.url}/v2/_catalog`)).json()).toEqual({ repositories: served.repositories });
    expect(await (await fetch(`${served.url}/v2/_catalog?n=1&last=library/alpine`)).json()).toEqual({
      repositories: ['prometheus/prometheus'],
    });
    expect(await (await fetch(`${served.url}/v2/velero/velero/tags/list`)).json()).toEqual({ name: 'velero/velero', tags: ['v1.9.1'] });

    const byTag = await fetch(`${served.url}/v2/velero/velero/manifests/v1.9.1`);
    expect(byTag.status).toBe(200);
    expect(byTag.headers.get('content-type')).toBe(f.docker.manifest.mediaType);
    expect(byTag.headers.get('docker-content-digest')).toBe(f.docker.manifest.digest);
    expect(Buffer.from(await byTag.arrayBuffer()).equals(f.docker.manifest.data)).toBe(true);
    const head = await fetch(`${served.url}/v2/velero/velero/manifests/${f.docker.manifest.digest}`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(f.docker.manifest.data.length)]);

    const layer = f.docker.layers[0] as { digest: string; size: number; data?: Buffer; path?: string };
    const full = layer.data ?? readFileSync(layer.path as string);
    const part = await fetch(`${served.url}/v2/velero/velero/blobs/${layer.digest}`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${layer.size}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(full.subarray(100, 200))).toBe(true);
    const tail = await fetch(`${served.url}/v2/velero/velero/blobs/${layer.digest}`, { headers: { range: `bytes=${layer.size - 10}-` } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(full.subarray(layer.size - 10))).toBe(true);
    expect(
      (await fetch(`${served.url}/v2/velero/velero/blobs/${layer.digest}`, { headers: { range: `bytes=${layer.size}-` } })).status,
    ).toBe(416);
  });

  it('answers unknown names, manifests and blobs with the spec errors, and refuses writes', async () => {
    const err = async (url: string, init?: RequestInit) => {
      const r = await fetch(url, init);
      return [r.status, ((await r.json()) as { errors: { code: string }[] }).errors[0]?.code];
    };
    expect(await err(`${served.url}/v2/nope/manifests/1`)).toEqual([404, 'NAME_UNKNOWN']);
    expect(await err(`${served.url}/v2/velero/velero/manifests/v9`)).toEqual([404, 'MANIFEST_UNKNOWN']);
    expect(await err(`${served.url}/v2/velero/velero/blobs/sha256:${'0'.repeat(64)}`)).toEqual([404, 'BLOB_UNKNOWN']);
    // A blob of another repository's image is not served under this one.
    const alpineLayer = f.oci.layers[0]?.digest as string;
    if (!f.docker.layers.some((l) => l.digest === alpineLayer))
      expect(await err(`${served.url}/v2/velero/velero/blobs/${alpineLayer}`)).toEqual([404, 'BLOB_UNKNOWN']);
    expect(await err(`${served.url}/v2/velero/velero/blobs/uploads/`, { method: 'POST' })).toEqual([405, 'UNSUPPORTED']);
    expect(await err(`${served.url}/v2/velero/velero/manifests/v1.9.1`, { method: 'DELETE' })).toEqual([405, 'UNSUPPORTED']);
    // Paths that are not percent-encoding, or name nothing the grammar allows: spec errors, never a 500.
    expect(await err(`${served.url}/v2/x/blobs/%`)).toEqual([400, 'NAME_INVALID']);
    expect(await err(`${served.url}/v2/velero/velero/manifests/%E0%A4%A`)).toEqual([400, 'NAME_INVALID']);
    expect(await err(`${served.url}/v2/velero/velero/blobs/sha256:%2e%2e`)).toEqual([400, 'DIGEST_INVALID']);
    expect(await err(`${served.url}/v2/velero%2f..%2fvelero/velero/tags/list`)).toEqual([404, 'NAME_UNKNOWN']);
    // A request target fetch() would never send (it normalises URLs): written on a raw socket.
    const raw = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(served.url);
      const s = connect(Number(port), '127.0.0.1', () => s.end('GET //% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let got = '';
      s.on('data', (c) => (got += c.toString()))
        .on('end', () => resolve(got))
        .on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('NAME_INVALID');
  });

  it('eight concurrent skopeo copies read every image intact; ferry pulls from it with the same digests', async () => {
    const out = scratch();
    const refs = ['library/alpine:3.19', 'velero/velero:v1.9.1', 'prometheus/prometheus:v2.53.0'];
    const host = served.url.replace('http://', '');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => {
        const ref = refs[i % refs.length] as string;
        return sh('skopeo', ['copy', '--all', '--src-tls-verify=false', `docker://${host}/${ref}`, `oci:${join(out, String(i))}:x`]);
      }),
    );
    const dir = scratch();
    const m = writeManifest(dir, `  images:\n    - velero/velero:v1.9.1\n    - ref: prometheus/prometheus:v2.53.0\n      platforms: all\n`);
    const again = await pull(m, join(dir, 'again.tar'), [['docker.io', served.url]]);
    const lock = JSON.parse(readFileSync(again.result.lockPath, 'utf8'));
    expect(lock.images.map((i: { digest: string }) => i.digest).sort()).toEqual([f.docker.manifest.digest, f.multi.manifest.digest].sort());
  });
});

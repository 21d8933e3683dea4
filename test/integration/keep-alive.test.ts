import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { type ChaosProxy, startChaosProxy } from '../helpers/chaos-proxy.js';
import { makeImage, makeLayer, seed } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';

/**
 * A repeated push is one HEAD per tag (src/push/push-bundle.ts): those HEADs, and the GETs beside them, must reuse one
 * kept-alive connection. undici closes the connection after every HEAD unless told otherwise (src/registry/transport.ts).
 */
describe.runIf(requireTools('docker-registry'))('requests to a registry share kept-alive connections', () => {
  let reg: TestRegistry;
  let proxy: ChaosProxy;
  beforeAll(async () => {
    reg = await startRegistry();
    await seed(reg, 'team/one', '1', makeImage({ layers: [await makeLayer({ seed: 'keep-alive', size: 1000 })] }));
    proxy = await startChaosProxy(reg.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('eight HEADs of a tag, then two GETs of its manifest, one after another: the connections are kept alive and reused', async () => {
    const client = new RegistryClient({ plainHttp: true });
    try {
      const heads = [];
      for (let i = 0; i < 8; i++) heads.push((await client.headManifest(proxy.host, 'team/one', '1'))?.digest);
      for (let i = 0; i < 2; i++) await client.getManifest(proxy.host, 'team/one', '1');
      expect(new Set(heads).size).toBe(1);
      expect(heads[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(proxy.log.filter((l) => l.method === 'HEAD')).toHaveLength(8);
      // undici's pool may open a second connection when the next request is sent before the last response has freed
      // the first (then alternates between the two); without keep-alive after HEAD it opened one per HEAD.
      expect(proxy.connections()).toBeLessThanOrEqual(2);
    } finally {
      await client.close();
    }
  });
});

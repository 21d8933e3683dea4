import { describe, expect, it } from 'vitest';
import { startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';

const ok = requireTools('docker-registry', 'htpasswd');

describe.runIf(ok)('test registry launcher', () => {
  it('starts an open registry and an htpasswd one', async () => {
    const open = await startRegistry();
    const locked = await startRegistry({ htpasswd: { username: 'u', password: 'p' } });
    try {
      expect((await fetch(`${open.url}/v2/`)).status).toBe(200);
      expect((await fetch(`${locked.url}/v2/`)).status).toBe(401);
      const auth = Buffer.from('u:p').toString('base64');
      expect((await fetch(`${locked.url}/v2/`, { headers: { authorization: `Basic ${auth}` } })).status).toBe(200);
    } finally {
      await open.stop();
      await locked.stop();
    }
  });
});

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, makeLayer, writeOciLayout, type Image } from '../helpers/images.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';
import { selfSignedLoopbackCert } from '../helpers/tls-cert.js';

const ok = requireTools('docker-registry', 'skopeo', 'openssl');

describe.runIf(ok)('a registry behind TLS with a private CA', () => {
  let reg: TestRegistry;
  let image: Image;
  let caPath: string;

  beforeAll(async () => {
    const dir = scratch('ferry-tls-');
    // A self-signed certificate for 127.0.0.1 serves as its own CA.
    const cert = selfSignedLoopbackCert(dir);
    caPath = cert.certPath;
    const keyPath = cert.keyPath;
    reg = await startRegistry({ tls: { certPath: caPath, keyPath } });
    image = makeImage({ layers: [await makeLayer({ seed: 'tls-1', size: 20_000, gzip: true })] });
    const layout = scratch();
    await writeOciLayout(layout, image, 'v1');
    execFileSync(
      'skopeo',
      [
        'copy',
        '--preserve-digests',
        '--dest-cert-dir',
        dir,
        '--dest-tls-verify=false',
        `oci:${layout}:v1`,
        `docker://${reg.host}/secure/app:v1`,
      ],
      { stdio: 'ignore' },
    );
  });
  afterAll(async () => reg?.stop());

  const pullWith = async (...flags: string[]) => {
    const dir = scratch();
    const m = writeManifest(dir, `  images: [${reg.host}/secure/app:v1]\n`);
    return run(['bundle', 'pull', m, '-o', join(dir, 'b.tar'), '--cache', join(dir, 'c'), ...flags]);
  };

  it('refuses an unknown CA, trusts it with --ca-file, skips the check with --insecure', async () => {
    const refused = await pullWith();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/NETWORK_ERROR.*(certificate|self.signed)/i);
    const trusted = await pullWith('--ca-file', caPath, '--json');
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout).images).toBe(1);
    expect((await pullWith('--insecure')).code).toBe(0);
  });
});

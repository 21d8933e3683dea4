import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

/** Until pull carries image signatures, a manifest asking for a signature check is refused, never pulled unchecked. */
describe('spec.signatures fails closed', () => {
  const manifest = () => {
    const dir = scratch();
    writeFileSync(join(dir, 'cosign.pub'), '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n');
    return writeManifest(
      dir,
      '  images: [docker.io/velero/velero:v1.9.1]\n  signatures:\n    - images: "docker.io/velero/*"\n      key: cosign.pub\n',
    );
  };

  it('pull refuses before any request, naming the manifest and what to do', async () => {
    const path = manifest();
    await expect(pull(path, join(path, '..', 'b.tar'), [['docker.io', 'http://127.0.0.1:9']])).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining(`${path}: spec.signatures is not enforced yet`),
    });
  });

  it('the CLI exits 2 with that one line, and writes nothing', async () => {
    const path = manifest();
    const out = join(path, '..', 'out', 'b.tar');
    const r = await run(['bundle', 'pull', path, '-o', out, '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/spec\.signatures is not enforced yet/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageBundle } from '../../src/stage/stage-bundle.js';
import { seededBytes } from '../helpers/images.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('sha256sum');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.runIf(ok)('checksummed files', () => {
  let host: FileHost;
  const cli = seededBytes('velero-cli', 300_000);
  const tool = seededBytes('tool', 50_000);
  const CHECKSUM = `${hex(seededBytes('other', 10))}  velero-v1.9.1-darwin-amd64.tar.gz\n${hex(cli)}  velero-v1.9.1-linux-amd64.tar.gz\n`;
  const GH = 'https://github.com/vmware-tanzu/velero/releases/download/v1.9.1';

  beforeAll(async () => {
    host = await startFileHost({
      '/gh/vmware-tanzu/velero/releases/download/v1.9.1/velero-v1.9.1-linux-amd64.tar.gz': cli,
      '/gh/vmware-tanzu/velero/releases/download/v1.9.1/CHECKSUM': CHECKSUM,
      '/ex/tool.tar.gz': tool,
    });
  });
  afterAll(async () => host?.stop());

  const mirrors = (): [string, string][] => [
    ['https://github.com/', `${host.url}/gh/`],
    ['https://example.org/', `${host.url}/ex/`],
  ];
  const files = (toolSha: string) => `  files:
    - url: ${GH}/velero-v1.9.1-linux-amd64.tar.gz
      checksums: ${GH}/CHECKSUM
    - url: https://example.org/tool.tar.gz
      sha256: ${toolSha}
      name: my-tool.tar.gz
`;

  it('pulls through URL mirrors, records who vouched for each file, stages them with a SHA256SUMS', async () => {
    const dir = scratch();
    host.dropOnce.set('/gh/vmware-tanzu/velero/releases/download/v1.9.1/velero-v1.9.1-linux-amd64.tar.gz', 100_000);
    const { result } = await pull(writeManifest(dir, files(hex(tool))), join(dir, 'b.tar'), mirrors());
    const lock = JSON.parse(readFileSync(result.lockPath, 'utf8'));
    expect(lock.files).toEqual([
      {
        name: 'my-tool.tar.gz',
        url: 'https://example.org/tool.tar.gz',
        sha256: hex(tool),
        size: tool.length,
        vouchedBy: { kind: 'inline' },
      },
      {
        name: 'velero-v1.9.1-linux-amd64.tar.gz',
        url: `${GH}/velero-v1.9.1-linux-amd64.tar.gz`,
        sha256: hex(cli),
        size: cli.length,
        vouchedBy: { kind: 'checksums', url: `${GH}/CHECKSUM`, sha256: hex(Buffer.from(CHECKSUM)), line: 2 },
      },
    ]);
    // The dropped download resumed with a Range request.
    expect(host.log.some((r) => r.path.endsWith('linux-amd64.tar.gz') && r.range?.startsWith('bytes='))).toBe(true);

    const stage = scratch();
    const r = await run(['bundle', 'stage', result.bundle, '--dir', stage, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files.map((f: { name: string }) => f.name)).toEqual(['my-tool.tar.gz', 'velero-v1.9.1-linux-amd64.tar.gz']);
    expect(readFileSync(join(stage, 'files', 'my-tool.tar.gz')).equals(tool)).toBe(true);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(stage, 'files'), encoding: 'utf8' })).toContain(
      'velero-v1.9.1-linux-amd64.tar.gz: OK',
    );

    const inspect = JSON.parse((await run(['bundle', 'inspect', result.bundle, '--json'])).stdout);
    expect(inspect.artifacts.map((a: { kind: string; name: string; size: number }) => [a.kind, a.name])).toEqual([
      ['file', 'my-tool.tar.gz'],
      ['file', 'velero-v1.9.1-linux-amd64.tar.gz'],
    ]);
  });

  it('refuses a tampered file, naming file, URL and both digests, and leaves no bundle', async () => {
    const dir = scratch();
    const wrong = 'ab'.repeat(32);
    const err = await pull(writeManifest(dir, files(wrong)), join(dir, 'b.tar'), mirrors()).catch((e) => e);
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(err.message).toContain(
      'file my-tool.tar.gz (https://example.org/tool.tar.gz, sha256 from inline sha256 pin in the bundle manifest)',
    );
    expect(err.message).toContain(`expected sha256:${wrong}, got sha256:${hex(tool)}`);
    expect(existsSync(join(dir, 'b.tar'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('b.tar'))).toEqual([]);
  });

  it('refuses a file its checksum list does not name (exit 3 from the CLI)', async () => {
    const dir = scratch();
    const m = writeManifest(dir, `  files:\n    - url: ${GH}/velero-v1.9.1-linux-arm64.tar.gz\n      checksums: ${GH}/CHECKSUM\n`);
    const r = await run([
      'bundle',
      'pull',
      m,
      '-o',
      join(dir, 'b.tar'),
      '--cache',
      join(dir, 'c'),
      ...mirrors().flatMap(([a, b]) => ['--mirror', `${a}=${b}`]),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`velero-v1.9.1-linux-arm64.tar.gz: not listed in checksum file ${GH}/CHECKSUM`);
  });

  it('stage refuses a bundle whose file bytes were altered', async () => {
    const dir = scratch();
    const { result } = await pull(writeManifest(dir, files(hex(tool))), join(dir, 'b.tar'), mirrors());
    const bytes = readFileSync(result.bundle);
    const at = bytes.indexOf(tool.subarray(1000, 1032));
    bytes[at] = (bytes[at] as number) ^ 1;
    const damaged = join(dir, 'damaged.tar');
    writeFileSync(damaged, bytes);
    const stage = scratch();
    await expect(stageBundle({ bundlePath: damaged, dir: stage })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(existsSync(join(stage, 'files', 'my-tool.tar.gz'))).toBe(false);
    const v = await run(['bundle', 'verify', damaged]);
    expect(v.code).toBe(3);
    expect(v.stdout).toContain(`DIGEST_MISMATCH blobs/sha256/${hex(tool)}`);
  });
});

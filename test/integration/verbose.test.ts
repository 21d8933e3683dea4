import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { seededBytes } from '../helpers/images.js';
import { openPty } from '../helpers/pty.js';
import { requireTools } from '../helpers/tools.js';
import { scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('tmux');
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.runIf(ok)('-v/--verbose on a terminal', () => {
  let host: FileHost;
  let manifest: string;
  const body = seededBytes('verbose-file', 200_000);

  beforeAll(async () => {
    host = await startFileHost({ '/tool.bin': body });
    manifest = writeManifest(scratch(), `  files:\n    - url: ${host.url}/tool.bin\n      sha256: ${hex(body)}\n`);
  });
  afterAll(async () => host?.stop());

  const pullOnPty = async (flags: string[]) => {
    const dir = scratch();
    const pty = openPty(`./bin/ferry bundle pull ${manifest} -o ${join(dir, 'b.tar')} --cache ${join(dir, 'c')} ${flags.join(' ')}`);
    try {
      const r = await pty.exited(30_000);
      return { code: r.code, screen: pty.screen() };
    } finally {
      pty.close();
    }
  };

  it('prints a line per artifact and per blob even though stderr is a terminal; without it, only the bar', async () => {
    const verbose = await pullOnPty(['-v']);
    expect(verbose.code).toBe(0);
    expect(verbose.screen).toMatch(new RegExp(`done file tool\\.bin sha256:${hex(body)}`));
    expect(verbose.screen).toMatch(/blob (fetched|cached) sha256:[0-9a-f]{64} \(\d+ bytes\)/);
    const plain = await pullOnPty([]);
    expect(plain.code).toBe(0);
    expect(plain.screen).not.toMatch(/done file tool\.bin/);
  });
});

import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/core/units.js';
import { type FileHost, startFileHost } from '../helpers/file-host.js';
import { makeImage, makeLayer, seed, seededBytes } from '../helpers/images.js';
import { openPty } from '../helpers/pty.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { type ThrottleProxy, startThrottleProxy } from '../helpers/throttle-proxy.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('tmux', 'docker-registry');
const MiB = 2 ** 20;
// Bytes per second through each throttled link. The image is large beside loopback's socket buffers (a few MiB
// that an upload fills at once), so the push is seen running for seconds, not only at its end.
const RATE = 6 * MiB;
const FERRY = join(import.meta.dirname, '../../bin/ferry');

/** The live line's phases, as they start a line of the screen. */
const BAR_LINE = /^(resolve|fetch|write|verify|push|tag|stage) {2,}/;
/** A percent below 100 followed by an ETA: the transfer is running and the bar says how long it will take. */
const RUNNING = /\b[1-9]\d?% {2}\S+ \S+ \/ \S+ \S+ {2}\S+ \S+\/s {2}ETA \d+:\d\d/;

/** Lines of the scrollback that are the bar (or a phase's last line), by phase: each phase at most once. */
function barLines(history: string): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const line of history.split('\n')) {
    const m = BAR_LINE.exec(line);
    if (m) by.set(m[1] as string, [...(by.get(m[1] as string) ?? []), line]);
  }
  return by;
}

/** "done / total" of a phase's line. */
function doneOfTotal(line: string | undefined): [string, string] | undefined {
  const m = /(\d+(?:\.\d)? [KMG]?i?B) \/ (\d+(?:\.\d)? [KMG]?i?B)/.exec(line ?? '');
  return m ? [m[1] as string, m[2] as string] : undefined;
}

describe.runIf(ok)('the progress display on a real terminal: bytes, percent, ETA, log lines above one bar', () => {
  let up: TestRegistry;
  let files: FileHost;
  let slowRegistry: ThrottleProxy;
  let slowFiles: ThrottleProxy;
  let layerSize = 0;
  let configSize = 0;
  const file = seededBytes('pty-file', 2 * MiB);
  const dir = scratch('ferry-pty-it-');
  const bundle = join(dir, 'out', 'b.tar');

  beforeAll(async () => {
    up = await startRegistry();
    const layer = await makeLayer({ seed: 'pty-layer', size: 32 * MiB });
    const image = makeImage({ layers: [layer] });
    layerSize = layer.size;
    configSize = image.config.size;
    await seed(up, 'team/big', '1', image);
    files = await startFileHost({ '/f.bin': file });
    slowRegistry = await startThrottleProxy(up.host, RATE);
    slowFiles = await startThrottleProxy(new URL(files.url).host, RATE);
  });
  afterAll(async () => {
    await slowRegistry?.stop();
    await slowFiles?.stop();
    await files?.stop();
    await up?.stop();
  });

  it('pull: percent and ETA while it runs; a retry printed above the bar; the write phase ends at the bundle size, counted once', async () => {
    const m = writeManifest(
      dir,
      `  platforms: [linux/amd64]\n  images:\n    - team/big:1\n  files:\n    - url: ${slowFiles.url}/f.bin\n      sha256: ${createHash('sha256').update(file).digest('hex')}\n`,
    );
    // The file answers 503 once: a retry line, printed while the bar is up.
    files.failTimes.set('/f.bin', { status: 503, times: 1 });
    const pty = openPty(`${FERRY} bundle pull ${m} -o ${bundle} --cache ${join(dir, 'cache')} --mirror docker.io=${slowRegistry.url}`);
    try {
      const running = await pty.waitFor(RUNNING, 20_000);
      expect(running).toMatch(/^(fetch|write) /m);
      const end = await pty.exited(60_000);
      const history = pty.history();
      expect(end.code, history).toBe(0);
      expect(history).toMatch(/^ {2}retry 1 in \d+ ms: HTTP 503/m);
      const bars = barLines(history);
      // One line per phase in the whole scrollback: the bar was cleared before each log line, not left behind.
      for (const [phase, lines] of bars) expect(lines, `${phase}:\n${history}`).toHaveLength(1);
      const size = statSync(bundle).size;
      expect(doneOfTotal(bars.get('write')?.[0])).toEqual([formatBytes(size), formatBytes(size)]);
      // The downloads are their own phase: what was fetched, never added to what was written.
      expect(doneOfTotal(bars.get('fetch')?.[0])).toEqual([
        formatBytes(file.length + layerSize + configSize),
        formatBytes(file.length + layerSize + configSize),
      ]);
      expect(history).not.toContain(formatBytes(2 * size));
    } finally {
      pty.close();
    }
  });

  it('push: blob progress by bytes with percent and ETA (no verify bar: the checks first read only small members); the push phase ends at the bytes uploaded', async () => {
    const down = await startRegistry();
    const slow = await startThrottleProxy(down.host, RATE);
    const pty = openPty(`${FERRY} bundle push ${bundle} --registry ${slow.host} --plain-http`);
    try {
      const running = await pty.waitFor(new RegExp(`^push .*${RUNNING.source}`, 'm'), 30_000);
      expect(running).toMatch(/blobs \d\/2/);
      const end = await pty.exited(60_000);
      const history = pty.history();
      expect(end.code, history).toBe(0);
      // The unsigned-bundle warning came while the bar was up: above it, and no stale bar.
      expect(history).toMatch(/^warning: the bundle is unsigned/m);
      const bars = barLines(history);
      for (const [phase, lines] of bars) expect(lines, `${phase}:\n${history}`).toHaveLength(1);
      // One pass: each blob is hashed as it goes up, so there is no verify phase (docs/security.md).
      expect(bars.has('verify'), history).toBe(false);
      // Uploaded: the image's layer and config, each once (files are not pushed).
      const uploaded = formatBytes(layerSize + configSize);
      expect(doneOfTotal(bars.get('push')?.[0])).toEqual([uploaded, uploaded]);
      expect(bars.get('push')?.[0]).toMatch(/blobs 2\/2/);
    } finally {
      pty.close();
      await slow.stop();
      await down.stop();
    }
  });

  it('piped: a long push is not silent: a heartbeat line every ~10 s with phase, bytes and percent', async () => {
    const down = await startRegistry();
    // Slow enough that the upload outlasts loopback's socket buffers by more than 10 s.
    const slow = await startThrottleProxy(down.host, 1.25 * MiB);
    try {
      const r = await run(['bundle', 'push', bundle, '--registry', slow.host, '--plain-http']);
      expect(r.code, r.stderr).toBe(0);
      const beats = r.stderr.split('\n').filter((l) => l.startsWith('  push: '));
      expect(beats.length, r.stderr).toBeGreaterThanOrEqual(1);
      expect(beats[0]).toMatch(/^ {2}push: \d+\.\d MiB of 32\.0 MiB \(\d+%\), \S+ \S+\/s, ETA \d+:\d\d, blobs \d\/2$/);
      expect(r.stderr).not.toContain('\x1b');
    } finally {
      await slow.stop();
      await down.stop();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { ProgressRenderer } from '../../../src/cli/progress.js';
import { heartbeatLine, statusLine } from '../../../src/cli/progress-line.js';
import { ProgressModel } from '../../../src/cli/progress-model.js';

const MiB = 2 ** 20;

/** A stream that records what was written, and a tiny terminal: \r, ESC[2K and \n applied, other escapes dropped. */
function terminal(tty: boolean) {
  let out = '';
  const stream = { write: (s: string) => ((out += s), true), isTTY: tty, columns: 160 } as unknown as NodeJS.WriteStream;
  const lines = () => {
    const done: string[] = [];
    let cur = '';
    for (const tok of out.split(/(\r|\n|\x1b\[[0-9;?]*[A-Za-z])/)) {
      if (tok === '\n') {
        done.push(cur);
        cur = '';
      } else if (tok === '\r' || tok === '\x1b[2K') cur = tok === '\x1b[2K' ? '' : cur;
      else if (!tok.startsWith('\x1b')) cur += tok;
    }
    return { history: done, current: cur };
  };
  return { stream, raw: () => out, lines };
}

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('progress by bytes, per phase', () => {
  it("a pull's downloads and its writer keep their own bytes: the write phase ends at the bundle's size, not twice it", () => {
    const m = new ProgressModel();
    const c = clock();
    m.handle({ type: 'phase', phase: 'fetch', totalBytes: 100 * MiB, totalItems: 3 }, c.now());
    m.handle({ type: 'phase', phase: 'write', totalBytes: 101 * MiB }, c.now());
    for (let i = 0; i < 100; i++) {
      c.advance(100);
      m.handle({ type: 'bytes', n: MiB, phase: 'fetch' }, c.now());
      m.handle({ type: 'bytes', n: MiB, phase: 'write' }, c.now());
    }
    m.handle({ type: 'bytes', n: MiB, phase: 'write' }, c.now());
    const w = m.view(m.current as NonNullable<typeof m.current>, c.now());
    expect({ name: w.name, done: w.done / MiB, percent: w.percent }).toEqual({ name: 'write', done: 101, percent: 100 });
    expect(statusLine(w)).toContain('101.0 MiB / 101.0 MiB');
    expect((m.phase('fetch')?.bytes ?? 0) / MiB).toBe(100);
  });

  it('push counts a blob once: uploaded to one repository and mounted into the next; present and mounted are shown', () => {
    const m = new ProgressModel();
    const now = 0;
    m.handle({ type: 'phase', phase: 'push', totalBytes: 30, totalItems: 3 }, now);
    m.handle({ type: 'bytes', n: 10, phase: 'push' }, now);
    m.handle({ type: 'blob', action: 'uploaded', digest: 'sha256:a', size: 10, repo: 'x', phase: 'push' }, now);
    m.handle({ type: 'blob', action: 'mounted', digest: 'sha256:a', size: 10, repo: 'y', phase: 'push' }, now);
    m.handle({ type: 'blob', action: 'exists', digest: 'sha256:b', size: 10, phase: 'push' }, now);
    m.handle({ type: 'blob', action: 'mounted', digest: 'sha256:c', size: 10, repo: 'y', phase: 'push' }, now);
    const v = m.view(m.current as NonNullable<typeof m.current>, now);
    expect({ bytes: v.bytes, done: v.done, items: v.items, present: v.present, mounted: v.mounted, percent: v.percent }).toEqual({
      bytes: 10,
      done: 30,
      items: 3,
      present: 1,
      mounted: 1,
      percent: 100,
    });
    expect(statusLine(v)).toMatch(/^push +\[█+\] {2}100% {2}30 B \/ 30 B {2}.* {2}ETA 0:00 {2}blobs 3\/3 \(1 present, 1 mounted\)$/);
  });
});

describe('ProgressRenderer on a terminal', () => {
  it('one live line with percent, bytes of the total, rate and ETA; a log line goes above it and leaves no stale bar', () => {
    const t = terminal(true);
    const c = clock();
    const r = new ProgressRenderer({ tty: true, quiet: false, stream: t.stream, now: c.now, redrawMs: 0 });
    r.sink({ type: 'phase', phase: 'fetch', totalBytes: 100 * MiB });
    for (let i = 0; i < 30; i++) {
      c.advance(100);
      r.sink({ type: 'bytes', n: MiB, phase: 'fetch' });
      r.tick();
    }
    r.sink({ type: 'retry', url: 'http://h/f', attempt: 1, reason: 'HTTP 503', delayMs: 250 });
    r.sink({ type: 'warning', message: 'slow mirror' });
    expect(t.lines().history).toEqual(['  retry 1 in 250 ms: HTTP 503 (http://h/f)', 'warning: slow mirror']);
    // 10 MiB/s over the last 3 s, 70 MiB to go.
    expect(t.lines().current).toMatch(/^fetch +\[█+░+\] {3}30% {2}30\.0 MiB \/ 100\.0 MiB {2}10\.0 MiB\/s {2}ETA 0:07$/);
    r.stop();
    const end = t.lines();
    expect(end.history).toHaveLength(3);
    expect(end.history[2]).toMatch(/^fetch .*30%/);
    expect(t.raw().endsWith('\x1b[?25h')).toBe(true);
    // Stopping twice writes nothing more, and events after the end draw no bar again.
    const before = t.raw();
    r.stop();
    r.sink({ type: 'phase', phase: 'write', totalBytes: 10 });
    r.sink({ type: 'bytes', n: 5, phase: 'write' });
    r.tick();
    expect(t.raw()).toBe(before);
  });

  it('the line is cut to the terminal width, so it never wraps', () => {
    const t = terminal(true);
    (t.stream as { columns: number }).columns = 40;
    const r = new ProgressRenderer({ tty: true, quiet: false, stream: t.stream, redrawMs: 0 });
    r.sink({ type: 'phase', phase: 'push', totalBytes: 100, totalItems: 4 });
    expect([...t.lines().current].length).toBeLessThanOrEqual(39);
    r.stop();
  });
});

describe('ProgressRenderer off a terminal (piped, --no-progress)', () => {
  it('prints a heartbeat every 10 s while bytes move: phase, bytes, percent, rate, ETA', () => {
    const t = terminal(false);
    const c = clock();
    const r = new ProgressRenderer({ tty: false, quiet: false, stream: t.stream, now: c.now, heartbeatMs: 10_000 });
    r.sink({ type: 'phase', phase: 'push', detail: '4 images to reg:5000', totalBytes: 400 * MiB, totalItems: 8 });
    for (let i = 0; i < 250; i++) {
      c.advance(100);
      r.sink({ type: 'bytes', n: MiB, phase: 'push' });
      r.tick();
    }
    r.stop();
    // The rate is that of the last 5 s (the bytes landing at the very instant of the line count too: 10.0–10.2).
    const lines = t.lines().history.map((l) => l.replace(/10\.[0-2] MiB\/s/, '10 MiB/s'));
    expect(lines).toEqual([
      'push: 4 images to reg:5000',
      '  push: 100.0 MiB of 400.0 MiB (25%), 10 MiB/s, ETA 0:30, blobs 0/8',
      '  push: 200.0 MiB of 400.0 MiB (50%), 10 MiB/s, ETA 0:20, blobs 0/8',
    ]);
    expect(t.raw()).not.toContain('\x1b');
  });

  it('--no-progress keeps warnings and the heartbeat of a long transfer, nothing else', () => {
    const t = terminal(false);
    const c = clock();
    const r = new ProgressRenderer({ tty: false, quiet: true, stream: t.stream, now: c.now });
    r.sink({ type: 'phase', phase: 'fetch', totalBytes: 10 * MiB });
    r.sink({ type: 'artifact-done', kind: 'file', name: 'f' });
    r.sink({ type: 'warning', message: 'bundle is unsigned' });
    c.advance(11_000);
    r.sink({ type: 'bytes', n: MiB, phase: 'fetch' });
    r.tick();
    r.stop();
    expect(t.lines().history).toEqual([
      'warning: bundle is unsigned',
      `  ${heartbeatLine({ name: 'fetch', bytes: MiB, done: MiB, totalBytes: 10 * MiB, percent: 10, rate: 0, items: 0, present: 0, mounted: 0 })}`.slice(
        2,
      ),
    ]);
  });
});

describe('the end of a command on a terminal', () => {
  it('each phase that moved bytes leaves one line when it is over; a phase announced again is still one phase', () => {
    const t = terminal(true);
    const r = new ProgressRenderer({ tty: true, quiet: false, stream: t.stream, redrawMs: 0 });
    r.sink({ type: 'phase', phase: 'verify', totalBytes: 8 * MiB });
    r.sink({ type: 'bytes', n: 8 * MiB, phase: 'verify' });
    r.sink({ type: 'warning', message: 'the bundle is unsigned' });
    r.sink({ type: 'phase', phase: 'push', totalItems: 2 });
    r.sink({ type: 'phase', phase: 'push', totalBytes: 6 * MiB, totalItems: 2 });
    r.sink({ type: 'bytes', n: 6 * MiB, phase: 'push' });
    r.sink({ type: 'blob', action: 'uploaded', digest: 'sha256:a', size: 6 * MiB - 100, phase: 'push' });
    r.sink({ type: 'blob', action: 'uploaded', digest: 'sha256:b', size: 100, phase: 'push' });
    r.sink({ type: 'phase', phase: 'tag', totalItems: 1 });
    r.sink({ type: 'artifact-done', kind: 'image', name: 'a', digest: 'sha256:c' });
    r.stop();
    expect(t.lines().history.map((l) => l.replace(/ {2}\S+ \S+\/s {2}/, '  RATE  '))).toEqual([
      'warning: the bundle is unsigned',
      `verify   [${'█'.repeat(24)}]  100%  8.0 MiB / 8.0 MiB  RATE  ETA 0:00`,
      `push     [${'█'.repeat(24)}]  100%  6.0 MiB / 6.0 MiB  RATE  ETA 0:00  blobs 2/2`,
      'tag      tags 1/1',
    ]);
  });

  it('off a terminal, a phase announced again prints no second line', () => {
    const t = terminal(false);
    const r = new ProgressRenderer({ tty: false, quiet: false, stream: t.stream });
    r.sink({ type: 'phase', phase: 'fetch' });
    r.sink({ type: 'phase', phase: 'fetch', totalBytes: 10, totalItems: 1 });
    r.stop();
    expect(t.lines().history).toEqual(['fetch']);
  });
});

describe('the resolve phase', () => {
  it('counts the images pinned against those it announced, and prints each as it is pinned', () => {
    const t = terminal(true);
    const r = new ProgressRenderer({ tty: true, quiet: false, stream: t.stream, redrawMs: 0 });
    r.sink({ type: 'phase', phase: 'resolve', detail: '3 images, 0 files' });
    r.sink({ type: 'phase', phase: 'resolve', totalItems: 3 });
    r.sink({ type: 'resolved', kind: 'image', name: 'docker.io/library/a:1', digest: 'sha256:aa' });
    r.sink({ type: 'resolved', kind: 'image', name: 'docker.io/library/b:1', digest: 'sha256:bb' });
    expect(t.lines()).toEqual({
      history: ['  resolved docker.io/library/a:1 → sha256:aa', '  resolved docker.io/library/b:1 → sha256:bb'],
      current: 'resolve  3 images, 0 files  images 2/3',
    });
    r.stop();
  });
});

describe('the resolve phase of a pull with raw OCI artifacts', () => {
  it('counts its items as the phase names them', () => {
    const t = terminal(true);
    const r = new ProgressRenderer({ tty: true, quiet: false, stream: t.stream, redrawMs: 0 });
    r.sink({ type: 'phase', phase: 'resolve', detail: '1 image, 0 files, 1 artifact' });
    r.sink({ type: 'phase', phase: 'resolve', totalItems: 2, itemNoun: 'images and artifacts' });
    r.sink({ type: 'resolved', kind: 'artifact', name: 'registry.example/acme/thing:1.0', digest: 'sha256:aa' });
    expect(t.lines().current).toBe('resolve  1 image, 0 files, 1 artifact  images and artifacts 1/2');
    r.stop();
  });
});

describe('the tag phase count', () => {
  it('counts each tag up to the total, and what a kind writes after the tags (a referrers tag index) not past it', () => {
    const m = new ProgressModel();
    m.handle({ type: 'phase', phase: 'tag', totalItems: 2 }, 0);
    m.handle({ type: 'artifact-done', kind: 'image', name: 'r/a:1' }, 1);
    expect(m.view(m.current as NonNullable<typeof m.current>, 1).items).toBe(1);
    m.handle({ type: 'artifact-done', kind: 'referrer', name: 'r/a:sha256-x.sig' }, 2);
    m.handle({ type: 'artifact-done', kind: 'referrers index', name: 'r/a:sha256-x' }, 3);
    expect(m.view(m.current as NonNullable<typeof m.current>, 3)).toMatchObject({ items: 2, totalItems: 2 });
  });
});

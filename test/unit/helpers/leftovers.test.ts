import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { absoluteTokens, shownFerry, terminalLines } from '../../../scripts/check-demo.js';
import { onCleanup, runCleanups, trackChild } from '../../helpers/cleanup.js';
import { findMarked, reap, settle } from '../../helpers/leftovers.js';

describe('leftover processes, found by the marker they inherit', () => {
  it('finds a detached daemon carrying the marker (and nothing of another marker), and reap stops it', async () => {
    const value = randomUUID();
    const daemon = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { ...process.env, FERRY_PROBE: value } });
    daemon.unref();
    const other = trackChild(spawn('sleep', ['300'], { stdio: 'ignore', env: { ...process.env, FERRY_PROBE: 'another-run' } }));
    await new Promise((r) => setTimeout(r, 100));
    const found = findMarked('FERRY_PROBE', value);
    expect(found.map((p) => [p.pid, p.comm, p.args])).toEqual([[daemon.pid, 'sleep', 'sleep 300']]);
    await reap(found);
    expect(await settle('FERRY_PROBE', value, 2000)).toEqual([]);
    expect(other.exitCode).toBeNull(); // another run's process is left alone
    await runCleanups();
    expect(other.signalCode).toBe('SIGTERM');
  });

  it('runCleanups runs each registered stop once, newest first, and an unregistered stop not at all', async () => {
    const ran: string[] = [];
    onCleanup(() => void ran.push('first'));
    const unregister = onCleanup(() => void ran.push('dropped'));
    onCleanup(async () => void ran.push('last'));
    unregister();
    await runCleanups();
    await runCleanups();
    expect(ran).toEqual(['last', 'first']);
  });
});

describe('the demo check reads the terminal as a person sees it', () => {
  it('takes the text after the last carriage return, without escape sequences, and notes colour', () => {
    const lines = terminalLines('\x1b[1m$ ferry bundle pull a\x1b[0m   # x\nfetch [##  ] 1/2\rfetch [####] 2/2\x1b[K\nplain');
    expect(lines).toEqual([
      { text: '$ ferry bundle pull a   # x', coloured: true },
      { text: 'fetch [####] 2/2', coloured: false },
      { text: 'plain', coloured: false },
    ]);
  });

  it('names the absolute paths of a shown command, not URLs or registry hosts', () => {
    expect(absoluteTokens('$ ferry bundle pull /work/x/bundle.yaml -o out/b.tar --cache=/tmp/c --registry 127.0.0.1:5000/mirror')).toEqual([
      '/work/x/bundle.yaml',
      '--cache=/tmp/c',
    ]);
    expect(absoluteTokens('$ ferry bundle verify out/bundle.tar --key work/team.pub')).toEqual([]);
  });

  it('reads the ferry command out of a shown line: without the echo that feeds stdin, the background & or the comment', () => {
    expect(shownFerry('$ echo demo-password | ferry bundle push out/b.tar --password-stdin   # push')).toBe(
      'ferry bundle push out/b.tar --password-stdin',
    );
    expect(shownFerry('$ ferry bundle serve out/b.tar --listen 127.0.0.1:5000 &   # serve')).toBe(
      'ferry bundle serve out/b.tar --listen 127.0.0.1:5000',
    );
    expect(shownFerry('$ ferry bundle inspect out/b.tar')).toBe('ferry bundle inspect out/b.tar');
    expect(shownFerry('$ cd .demo   # here')).toBeUndefined();
  });
});

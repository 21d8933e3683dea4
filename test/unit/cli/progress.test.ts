import { describe, expect, it } from 'vitest';
import { ProgressRenderer } from '../../../src/cli/progress.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const stream = { write: (s: string) => ((out += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

describe('ProgressRenderer (plain lines off a terminal)', () => {
  it('prints phases, finished artifacts and retries, one line each', () => {
    const c = capture();
    const r = new ProgressRenderer({ tty: false, quiet: false, stream: c.stream });
    r.sink({ type: 'phase', phase: 'push', detail: '2 images to reg:5000' });
    r.sink({ type: 'artifact-start', kind: 'image', name: 'docker.io/a:1' });
    r.sink({ type: 'bytes', n: 1000 });
    r.sink({ type: 'retry', url: 'http://reg/v2/a/blobs/x', attempt: 1, reason: 'HTTP 503', delayMs: 250 });
    r.sink({ type: 'artifact-done', kind: 'image', name: 'docker.io/a:1', digest: 'sha256:ab', skipped: true });
    expect(c.text()).toBe(
      'push: 2 images to reg:5000\n  retry 1 in 250 ms: HTTP 503 (http://reg/v2/a/blobs/x)\n  up to date image docker.io/a:1 sha256:ab\n',
    );
  });

  it('--no-progress keeps only warnings', () => {
    const c = capture();
    const r = new ProgressRenderer({ tty: false, quiet: true, stream: c.stream });
    r.sink({ type: 'phase', phase: 'fetch' });
    r.sink({ type: 'artifact-done', kind: 'file', name: 'f' });
    r.sink({ type: 'warning', message: 'bundle is unsigned' });
    expect(c.text()).toBe('warning: bundle is unsigned\n');
  });
});

describe('exit codes', () => {
  it('maps error codes: usage 2, integrity 3, other 1', () => {
    expect(exitCodeFor('MANIFEST_INVALID')).toBe(2);
    expect(exitCodeFor('LOCK_MISMATCH')).toBe(2);
    expect(exitCodeFor('DIGEST_MISMATCH')).toBe(3);
    expect(exitCodeFor('CHECKSUM_MISSING')).toBe(3);
    expect(exitCodeFor('NETWORK_ERROR')).toBe(1);
    expect(exitCodeFor('TOO_LARGE')).toBe(1); // a limit reached (--max-file-size), not damage
    expect(exitCodeFor(undefined)).toBe(1);
  });
});

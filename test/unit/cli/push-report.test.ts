import { describe, expect, it } from 'vitest';
import { NOT_PUSHED, PRESENT_NOT_READ, PushedBlobs } from '../../../src/cli/push-report.js';
import type { FerryEvent } from '../../../src/core/events.js';
import type { VerifyResult } from '../../../src/verify/verify-bundle.js';

const hex = (c: string) => c.repeat(64);
const member = (c: string) => `blobs/sha256/${hex(c)}`;

describe('push --report: what push read', () => {
  it('an uploaded blob counts as computed (it hashed to its name on the way up); one found or mounted is present, not read; the rest was not pushed', async () => {
    const checked: VerifyResult = {
      ok: true,
      entries: 6,
      bytes: 100,
      problems: [],
      signature: { status: 'unsigned' },
      contents: new Map([
        ['index.json', { sha256: hex('9'), size: 50 }],
        [member('a'), { sha256: hex('a'), size: 10 }], // a manifest, read by the checks before
        [member('b'), { size: 1000 }],
        [member('c'), { size: 2000 }],
        [member('d'), { size: 3000 }],
        [member('e'), { size: 4000 }],
      ]),
    };
    const seen: FerryEvent[] = [];
    const pushed = new PushedBlobs();
    const sink = pushed.watch((e) => seen.push(e));
    const blob = (action: 'uploaded' | 'exists' | 'mounted', c: string, size: number): FerryEvent => ({
      type: 'blob',
      action,
      digest: `sha256:${hex(c)}`,
      size,
    });
    sink(blob('uploaded', 'b', 1000));
    sink(blob('exists', 'c', 2000));
    sink(blob('mounted', 'd', 3000));
    expect(seen).toHaveLength(3); // passed on
    const r = await pushed.complete(checked, '/nonexistent', []);
    expect(r.contents.get(member('b'))?.sha256).toBe(hex('b'));
    expect(r.bytes).toBe(1100);
    expect(Object.fromEntries(r.notRead ?? [])).toEqual({
      [member('c')]: PRESENT_NOT_READ,
      [member('d')]: PRESENT_NOT_READ,
      [member('e')]: NOT_PUSHED,
    });
    expect(r.notRead?.has(member('a'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { RateWindow, etaSeconds, formatEta } from '../../../src/cli/rate-window.js';

const MiB = 2 ** 20;

describe('RateWindow: the rate over the last 5 s, not since the start', () => {
  it('a burst followed by a steady link reads as the link, once the burst is out of the window', () => {
    const w = new RateWindow(5000, 250);
    // 600 MiB from the cache in the first second, then 24 MiB/s for 20 s (fed every 100 ms).
    for (let t = 0; t < 1000; t += 100) w.add(60 * MiB, t);
    for (let t = 1000; t <= 21_000; t += 100) w.add(2.4 * MiB, t);
    // The average since the start would be (600 + 480) / 21 ≈ 51 MiB/s.
    expect(w.rate(21_000) / MiB).toBeGreaterThan(23);
    expect(w.rate(21_000) / MiB).toBeLessThan(25.5);
  });

  it('a stalled transfer falls to 0 once its last bytes leave the window', () => {
    const w = new RateWindow(5000, 250);
    for (let t = 0; t <= 2000; t += 100) w.add(MiB, t);
    expect(w.rate(2000) / MiB).toBeCloseTo(10.5, 0);
    expect(w.rate(8000)).toBe(0);
  });

  it('says nothing (0) before a bucket of history, then rates over the time since the first byte', () => {
    const w = new RateWindow(5000, 250);
    expect(w.rate(0)).toBe(0);
    w.add(MiB, 1000);
    expect(w.rate(1100)).toBe(0);
    w.add(MiB, 2000);
    expect(w.rate(2000)).toBe(2 * MiB);
  });
});

describe('ETA', () => {
  it('is the remaining bytes at the current rate, rounded up; unknown without a rate; 0 when done', () => {
    expect(etaSeconds(100 * MiB, 24 * MiB)).toBe(5);
    expect(etaSeconds(100 * MiB, 0)).toBeUndefined();
    expect(etaSeconds(0, 0)).toBe(0);
  });

  it('is shown as m:ss or h:mm:ss, and --:-- when unknown', () => {
    expect(formatEta(9)).toBe('0:09');
    expect(formatEta(65)).toBe('1:05');
    expect(formatEta(3723)).toBe('1:02:03');
    expect(formatEta(undefined)).toBe('--:--');
  });
});

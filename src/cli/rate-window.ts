/**
 * The current rate of a transfer: bytes over the last `windowMs` (5 s), not the average since the start, which
 * decays long after a burst from the cache (604 MiB/s falling to 46 MiB/s on a 24 MiB/s link). Samples are kept in
 * buckets of `bucketMs`, so memory stays constant however many `bytes` events arrive.
 */
export class RateWindow {
  private readonly buckets: { at: number; n: number }[] = [];

  constructor(
    private readonly windowMs = 5000,
    private readonly bucketMs = 250,
  ) {}

  add(n: number, now: number): void {
    const at = Math.floor(now / this.bucketMs) * this.bucketMs;
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.at === at) last.n += n;
    else this.buckets.push({ at, n });
    this.prune(now);
  }

  /** Bytes per second over the window (over the time since the first byte while that is shorter); 0 before any. */
  rate(now: number): number {
    this.prune(now);
    const oldest = this.buckets[0];
    if (!oldest) return 0;
    // From the start of the oldest bucket kept: the bytes counted and the time they took cover the same span.
    const span = now - oldest.at;
    // Less than a bucket of history says nothing yet about the rate.
    if (span < this.bucketMs) return 0;
    return (this.buckets.reduce((s, b) => s + b.n, 0) * 1000) / span;
  }

  private prune(now: number): void {
    while (this.buckets.length > 0 && (this.buckets[0] as { at: number }).at + this.bucketMs <= now - this.windowMs) this.buckets.shift();
  }
}

/** Seconds left at `rate` bytes/s for `remaining` bytes; undefined when it cannot be said (no rate yet). */
export function etaSeconds(remaining: number, rate: number): number | undefined {
  if (remaining <= 0) return 0;
  if (!(rate > 0)) return undefined;
  return Math.ceil(remaining / rate);
}

/** 0:09, 1:05, 1:02:03; `--:--` when unknown. */
export function formatEta(secs: number | undefined): string {
  if (secs === undefined || !Number.isFinite(secs)) return '--:--';
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = Math.floor(secs % 60);
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

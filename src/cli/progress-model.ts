import type { FerryEvent } from '../core/events.js';
import { RateWindow, etaSeconds } from './rate-window.js';

/** What one phase has moved against what it announced. */
export interface PhaseState {
  name: string;
  detail?: string;
  totalBytes?: number;
  totalItems?: number;
  itemNoun?: string;
  /** Bytes moved in this phase (downloaded, written, uploaded, hashed): the rate and the "bytes" shown. */
  bytes: number;
  /** Bytes of blobs that needed no transfer (in the cache, already in the registry, mounted): count towards done. */
  skippedBytes: number;
  /** Blobs (or artifacts) done, and of those how many were already there or were mounted. */
  items: number;
  present: number;
  mounted: number;
  window: RateWindow;
  readonly digests: Set<string>;
}

export interface PhaseView {
  name: string;
  detail?: string;
  bytes: number;
  done: number;
  totalBytes?: number;
  /** 0–100, when the phase announced its bytes. */
  percent?: number;
  rate: number;
  eta?: number;
  items: number;
  totalItems?: number;
  /** What the items are, when the phase said (the resolve phase: `images`). */
  itemNoun?: string;
  present: number;
  mounted: number;
}

/**
 * The numbers behind the progress display, fed with library events and read with a clock (so a test can drive
 * both). Each phase keeps its own bytes: a `bytes` event counts in the phase it names, else in the current one.
 */
export class ProgressModel {
  private readonly phases = new Map<string, PhaseState>();
  current: PhaseState | undefined;

  handle(e: FerryEvent, now: number): void {
    switch (e.type) {
      case 'phase': {
        let p = this.phases.get(e.phase);
        if (!p) {
          p = { name: e.phase, bytes: 0, skippedBytes: 0, items: 0, present: 0, mounted: 0, window: new RateWindow(), digests: new Set() };
          this.phases.set(e.phase, p);
        }
        if (e.detail !== undefined) p.detail = e.detail;
        if (e.totalBytes !== undefined) p.totalBytes = e.totalBytes;
        if (e.totalItems !== undefined) p.totalItems = e.totalItems;
        if (e.itemNoun !== undefined) p.itemNoun = e.itemNoun;
        this.current = p;
        return;
      }
      case 'bytes': {
        const p = this.phaseOf(e.phase);
        if (!p) return;
        p.bytes += e.n;
        p.window.add(e.n, now);
        return;
      }
      case 'blob': {
        const p = this.phaseOf(e.phase);
        // A blob counts once per phase: uploaded to one repository and mounted into the next is one blob.
        if (!p || p.digests.has(e.digest)) return;
        p.digests.add(e.digest);
        p.items++;
        if (e.action === 'cached' || e.action === 'exists' || e.action === 'mounted') {
          p.skippedBytes += e.size;
          if (e.action === 'mounted') p.mounted++;
          else p.present++;
        }
        return;
      }
      case 'resolved': {
        const p = this.phases.get('resolve');
        if (p) p.items++;
        return;
      }
      case 'artifact-done': {
        // Phases that count artifacts rather than blobs (tag, stage, resolve).
        const p = this.current;
        // What a kind writes after the counted tags (push's finishPush: a referrers tag index) is said in its own
        // line, not counted past the total: `tags 8/7` would read as a miscount.
        if (
          p &&
          p.digests.size === 0 &&
          (p.name === 'tag' || p.name === 'stage') &&
          !(p.totalItems !== undefined && p.items >= p.totalItems)
        )
          p.items++;
        return;
      }
      default:
        return;
    }
  }

  private phaseOf(name: string | undefined): PhaseState | undefined {
    return name === undefined ? this.current : (this.phases.get(name) ?? this.current);
  }

  view(p: PhaseState, now: number): PhaseView {
    const done = p.bytes + p.skippedBytes;
    const rate = p.window.rate(now);
    const v: PhaseView = { name: p.name, bytes: p.bytes, done, rate, items: p.items, present: p.present, mounted: p.mounted };
    if (p.detail !== undefined) v.detail = p.detail;
    if (p.totalItems !== undefined) v.totalItems = p.totalItems;
    if (p.itemNoun !== undefined) v.itemNoun = p.itemNoun;
    if (p.totalBytes !== undefined) {
      v.totalBytes = p.totalBytes;
      v.percent = p.totalBytes > 0 ? Math.min(100, (done / p.totalBytes) * 100) : 100;
      const eta = etaSeconds(p.totalBytes - done, rate);
      if (eta !== undefined) v.eta = eta;
    }
    return v;
  }

  /** Phases announced with bytes still to move, other than the current one (a pull's fetch beside its write). */
  others(now: number): PhaseView[] {
    return [...this.phases.values()]
      .filter((p) => p !== this.current && p.totalBytes !== undefined && p.bytes + p.skippedBytes < p.totalBytes && p.bytes > 0)
      .map((p) => this.view(p, now));
  }

  /** Every phase announced, in order. */
  all(): PhaseState[] {
    return [...this.phases.values()];
  }

  phase(name: string): PhaseState | undefined {
    return this.phases.get(name);
  }
}

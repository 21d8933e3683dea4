import type { EventSink, FerryEvent } from '../core/events.js';
import { terminalSafe } from '../validate/untrusted-text.js';
import { type PhaseState, ProgressModel } from './progress-model.js';
import { fit, heartbeatLine, statusLine } from './progress-line.js';
import { scrub } from './scrub.js';
import { formatBlob, formatHttp } from './trace.js';

export interface RendererOptions {
  /** Live bar on a TTY; plain lines otherwise. */
  tty: boolean;
  /** --no-progress / --json: no bar and no per-artifact lines; warnings, and the heartbeat of a long transfer. */
  quiet: boolean;
  /** --json: keep stdout for the final JSON document; progress goes to stderr. */
  stream: NodeJS.WriteStream;
  /** -v/--verbose: a line per artifact and per blob, also on a TTY (above the bar). */
  verbose?: boolean;
  /** --debug: the HTTP trace (src/cli/trace.ts), also with --json or --no-progress. */
  debug?: boolean;
  /** The clock (ms); tests pass a fake one. */
  now?: () => number;
  /** Redraw period of the bar (default 100 ms) and heartbeat period off a terminal (default 10 s); 0: no timer. */
  redrawMs?: number;
  heartbeatMs?: number;
  /** No heartbeat in --json mode: stderr stays for warnings and errors. */
  heartbeat?: boolean;
}

const CLEAR_LINE = '\r\x1b[2K';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/**
 * Turns library events into what a person sees. One renderer for every command, so pull, push, verify and stage
 * report the same way. On a TTY: one live line (phase, bar, percent, bytes of the total, current rate, ETA, blobs),
 * redrawn in place; a log line (a retry, a warning) clears it, prints, and draws it again below, so the scrollback
 * holds the log lines and no stale bar. The line is cut to the terminal's width, so it never wraps. Off a terminal:
 * one plain line per phase and artifact, and every ~10 s of a transfer a heartbeat line (phase, bytes, percent).
 */
export class ProgressRenderer {
  private readonly model = new ProgressModel();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;
  private dirty = false;
  private lastHeartbeat: number;
  private stopped = false;
  private readonly recorded = new Set<PhaseState>();

  constructor(private readonly opts: RendererOptions) {
    this.now = opts.now ?? Date.now;
    this.lastHeartbeat = this.now();
  }

  readonly sink: EventSink = (e: FerryEvent) => this.handle(e);

  private get live(): boolean {
    return this.opts.tty && !this.opts.quiet;
  }

  private handle(e: FerryEvent): void {
    if (this.stopped && (e.type === 'bytes' || e.type === 'blob')) return;
    const previous = this.model.current;
    // A phase announced again (its totals now known) is not a new phase: no second line for it.
    const again = e.type === 'phase' && this.model.phase(e.phase) !== undefined;
    this.model.handle(e, this.now());
    switch (e.type) {
      case 'bytes':
        this.dirty = true;
        this.ensureTimer();
        return;
      case 'blob':
        if (this.opts.verbose) this.line(formatBlob(e));
        this.dirty = true;
        this.ensureTimer();
        return;
      case 'phase':
        if (!this.live) {
          if (!again) this.line(`${e.phase}${e.detail ? `: ${e.detail}` : ''}`);
        } else if (previous && previous !== this.model.current) this.record(previous, false);
        this.dirty = true;
        this.ensureTimer();
        if (this.live) this.draw();
        return;
      case 'artifact-done':
        if (!this.opts.tty || this.opts.verbose)
          this.line(`  ${e.skipped ? 'up to date' : 'done'} ${e.kind} ${e.name}${e.digest ? ` ${e.digest}` : ''}`);
        this.dirty = true;
        return;
      case 'resolved':
        this.line(`  resolved ${e.name} → ${e.digest}`);
        this.dirty = true;
        return;
      case 'retry':
        this.line(`  retry ${e.attempt} in ${e.delayMs} ms: ${e.reason} (${e.url})`);
        return;
      case 'warning':
        this.line(`warning: ${e.message}`, true);
        return;
      case 'info':
        this.line(e.message);
        return;
      case 'http':
        if (this.opts.debug) this.line(formatHttp(e), true);
        return;
      default:
        return;
    }
  }

  /** One timer: the bar's redraw on a TTY, the heartbeat check off one. Unref'd: it never keeps the process alive. */
  private ensureTimer(): void {
    if (this.timer || this.stopped) return;
    const ms = this.live ? (this.opts.redrawMs ?? 100) : Math.min(this.opts.heartbeatMs ?? 10_000, 1000);
    if (ms <= 0) return;
    this.timer = setInterval(() => this.tick(), ms);
    this.timer.unref();
  }

  /** What the timer does; public so a test with a fake clock can call it. */
  tick(): void {
    if (this.stopped) return;
    if (this.live) {
      if (this.dirty) this.draw();
      return;
    }
    this.heartbeat();
  }

  private heartbeat(): void {
    if (this.opts.heartbeat === false) return;
    const now = this.now();
    if (now - this.lastHeartbeat < (this.opts.heartbeatMs ?? 10_000)) return;
    const p = this.model.current;
    if (!p) return;
    const v = this.model.view(p, now);
    // Only while bytes are moving (or announced and not all there): a finished phase has nothing to report.
    if (v.bytes === 0 || (v.totalBytes !== undefined && v.done >= v.totalBytes)) return;
    this.lastHeartbeat = now;
    this.opts.stream.write(`${heartbeatLine(v)}\n`);
  }

  private render(p = this.model.current, others = true): string {
    if (!p) return '';
    const now = this.now();
    return fit(statusLine(this.model.view(p, now), others ? this.model.others(now) : []), this.opts.stream.columns || 80);
  }

  /**
   * A phase that moved bytes leaves its last line in the scrollback once, when it is over: when the next phase
   * starts (if it has moved all it announced; a pull's downloads go on beside the writer), else when the display
   * stops. So the end of a push still shows the bytes verified and the bytes uploaded, each once.
   */
  private record(p: PhaseState, force: boolean): void {
    if (this.recorded.has(p) || p.bytes === 0) return;
    const v = this.model.view(p, this.now());
    if (!force && v.totalBytes !== undefined && v.done < v.totalBytes) return;
    this.recorded.add(p);
    this.opts.stream.write(`${CLEAR_LINE}${this.render(p, false)}\n`);
    this.drawn = true;
  }

  private draw(): void {
    // Once stopped (the command ended, or an error is being printed) the bar is never drawn again.
    if (this.stopped) return;
    const text = this.render();
    if (!text) return;
    this.opts.stream.write(`${this.drawn ? '' : HIDE_CURSOR}${CLEAR_LINE}${text}`);
    this.drawn = true;
    this.dirty = false;
  }

  private line(text: string, always = false): void {
    if (this.opts.quiet && !always) return;
    const safe = `${terminalSafe(scrub(text))}\n`;
    if (!this.drawn) {
      this.opts.stream.write(safe);
      return;
    }
    // Clear the bar's line, print the log line in its place, draw the bar again under it.
    this.opts.stream.write(`${CLEAR_LINE}${safe}${this.render()}`);
  }

  /** The numbers behind the display (for the commands' summaries and tests). */
  get progress(): ProgressModel {
    return this.model;
  }

  /** Ends the display: the bar's last state stays on its own line, the cursor is shown again. Idempotent. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.stopped = true;
    if (this.drawn) {
      const current = this.model.current;
      for (const p of this.model.all()) if (p !== current) this.record(p, true);
      this.opts.stream.write(`${CLEAR_LINE}${this.render(current, false)}\n${SHOW_CURSOR}`);
      this.drawn = false;
    }
  }
}

import cliProgress from 'cli-progress';
import type { EventSink, FerryEvent } from '../core/events.js';
import { terminalSafe } from '../validate/untrusted-text.js';
import { scrub } from './scrub.js';
import { formatBlob, formatHttp } from './trace.js';

export interface RendererOptions {
  /** Live bar on a TTY; plain lines otherwise. */
  tty: boolean;
  /** --no-progress: only warnings and errors. */
  quiet: boolean;
  /** --json: keep stdout for the final JSON document; progress goes to stderr. */
  stream: NodeJS.WriteStream;
  /** -v/--verbose: a line per artifact and per blob, also on a TTY (above the bar). */
  verbose?: boolean;
  /** --debug: the HTTP trace (src/cli/trace.ts), also with --json or --no-progress. */
  debug?: boolean;
}

/**
 * Turns library events into what a person sees. One renderer for every command, so `pull`, `push` and `verify`
 * report the same way: a single live bar (artifacts, bytes, rate) on a TTY, one line per artifact otherwise.
 */
export class ProgressRenderer {
  private bar?: cliProgress.SingleBar;
  private bytes = 0;
  private artifactsDone = 0;
  private artifactsTotal = 0;
  private phase = '';
  private readonly started = Date.now();

  constructor(private readonly opts: RendererOptions) {}

  readonly sink: EventSink = (e: FerryEvent) => this.handle(e);

  setTotal(artifacts: number): void {
    this.artifactsTotal = artifacts;
    this.bar?.setTotal(Math.max(artifacts, 1));
  }

  private handle(e: FerryEvent): void {
    switch (e.type) {
      case 'bytes':
        this.bytes += e.n;
        this.update();
        return;
      case 'phase':
        this.phase = e.phase;
        if (this.opts.tty && !this.opts.quiet) this.startBar();
        else this.line(`${e.phase}${e.detail ? `: ${e.detail}` : ''}`);
        this.update();
        return;
      case 'artifact-start':
        // The library announces artifacts as it reaches them; the bar's total grows with them.
        this.setTotal(this.artifactsTotal + 1);
        return;
      case 'artifact-done':
        this.artifactsDone++;
        if (this.artifactsDone > this.artifactsTotal) this.setTotal(this.artifactsDone);
        if (!this.opts.tty || this.opts.verbose) this.line(`  ${e.skipped ? 'up to date' : 'done'} ${e.kind} ${e.name}${e.digest ? ` ${e.digest}` : ''}`);
        this.update();
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
      case 'blob':
        if (this.opts.verbose) this.line(formatBlob(e));
        return;
      case 'http':
        if (this.opts.debug) this.line(formatHttp(e), true);
        return;
      default:
        return;
    }
  }

  private startBar(): void {
    if (this.bar) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: '{phase} [{bar}] {value}/{total} artifacts | {mb} MiB | {rate} MiB/s',
        stream: this.opts.stream,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.max(this.artifactsTotal, 1), this.artifactsDone, this.payload());
  }

  private payload(): Record<string, string> {
    const secs = Math.max((Date.now() - this.started) / 1000, 0.001);
    return { phase: this.phase.padEnd(8), mb: (this.bytes / 2 ** 20).toFixed(1), rate: (this.bytes / 2 ** 20 / secs).toFixed(1) };
  }

  private update(): void {
    this.bar?.update(this.artifactsDone, this.payload());
  }

  private line(text: string, always = false): void {
    if (this.opts.quiet && !always) return;
    if (this.bar) this.bar.stop(), (this.bar = undefined);
    this.opts.stream.write(`${terminalSafe(scrub(text))}\n`);
    if (this.opts.tty && !this.opts.quiet && this.phase) this.startBar();
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

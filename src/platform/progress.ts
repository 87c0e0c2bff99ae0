import type { Logger } from './logger';

/** Where a progress bar is drawn: a terminal stream (stderr). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is being done, e.g. `rebuild posts`. */
  label: string;
  /** What is counted, e.g. `events` (default `items`). */
  unit?: string;
  /** The terminal to draw a bar on; without one, or when it is not a TTY, progress goes to `logger`. */
  stream?: ProgressStream;
  /** Receives progress lines (info) when there is no terminal, and the summary at the end. */
  logger: Logger;
  /** Least time between two redraws of the bar (default 100 ms) or two log lines (default 5 s). */
  intervalMs?: number;
  now?: () => number;
}

/** What the progress of a long operation needs from it: how far it got, out of how much. */
export interface ProgressSnapshot {
  done: number;
  total: number | undefined;
  /** Per second, since the start. */
  rate: number;
  elapsedMs: number;
}

/**
 * Progress of a long operation (a rebuild, a replay): a bar redrawn in place on a terminal
 * (stderr), structured progress lines in the logs otherwise, and one summary line at the end.
 *
 * ```ts
 * const progress = new Progress({ label: 'rebuild posts', unit: 'events', stream: process.stderr, logger });
 * progress.update(1200, 50_000); // [####------] 2% 1,200/50,000 events 24,000/s ETA 2s
 * progress.finish();
 * ```
 */
export class Progress {
  private readonly startedAt: number;
  private lastShownAt = Number.NEGATIVE_INFINITY;
  private done = 0;
  private total: number | undefined;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.tty = options.stream?.isTTY === true;
    this.intervalMs = options.intervalMs ?? (this.tty ? 100 : 5000);
  }

  /** Records how far the operation got (absolute); shown when the interval has passed. */
  update(done: number, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    const at = this.now();
    if (at - this.lastShownAt < this.intervalMs) return;
    this.lastShownAt = at;
    this.show();
  }

  get snapshot(): ProgressSnapshot {
    const elapsedMs = Math.max(0, this.now() - this.startedAt);
    return { done: this.done, total: this.total, rate: elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0, elapsedMs };
  }

  /** Ends the bar and logs one summary line. */
  finish(message = 'done'): ProgressSnapshot {
    const snapshot = this.snapshot;
    if (this.tty) {
      this.options.stream!.write(`\r${this.line(snapshot)}\n`);
      this.drawn = false;
    }
    this.options.logger.info({ operation: this.options.label, done: snapshot.done, unit: this.unit, seconds: round(snapshot.elapsedMs / 1000), perSecond: Math.round(snapshot.rate) }, `${this.options.label}: ${message}`);
    return snapshot;
  }

  private get unit(): string {
    return this.options.unit ?? 'items';
  }

  private show(): void {
    const snapshot = this.snapshot;
    if (this.tty) {
      // \x1b[K clears what a longer previous line left
      this.options.stream!.write(`\r${this.line(snapshot)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const percent = snapshot.total ? round((100 * snapshot.done) / snapshot.total) : undefined;
    this.options.logger.info({ operation: this.options.label, done: snapshot.done, total: snapshot.total, percent, unit: this.unit, perSecond: Math.round(snapshot.rate) }, `${this.options.label}: progress`);
  }

  /** `rebuild posts [########------------] 40% 20,000/50,000 events 21,034/s ETA 1s` */
  private line({ done, total, rate }: ProgressSnapshot): string {
    const count = `${format(done)}${total !== undefined ? `/${format(total)}` : ''} ${this.unit}`;
    const speed = `${format(Math.round(rate))}/s`;
    if (!total) return `${this.options.label} ${count} ${speed}`;
    const fraction = Math.min(1, done / total);
    const width = 20;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 && done < total ? ` ETA ${Math.ceil((total - done) / rate)}s` : '';
    return `${this.options.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${count} ${speed}${eta}`;
  }

  /** True while a bar is drawn and not yet ended with a newline. */
  get barOpen(): boolean {
    return this.drawn;
  }
}

function format(n: number): string {
  return n.toLocaleString('en-US');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

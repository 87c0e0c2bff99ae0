import type { Logger } from '../platform/logger';

/** Where a long command shows how far it got: a bar on a terminal, log lines otherwise. */
export interface Progress {
  /** `done` of `total` units (positions of the log); `count` is what was handled (events). */
  update(done: bigint, count: number): void;
  finish(count: number): void;
}

export interface ProgressOptions {
  /** What is going on, e.g. `replay`. */
  label: string;
  /** Units to cover (positions between the start and the log's head when it began). */
  total: bigint;
  /** stderr: the bar goes there when it is a terminal. */
  stream: { write(text: string): unknown; isTTY?: boolean };
  logger: Logger;
  /** Least time between two log lines (default 5 s); the bar redraws at most every 100 ms. */
  logEveryMs?: number;
  now?: () => number;
}

const BAR_WIDTH = 30;

/**
 * A progress bar on stderr when it is a terminal (redrawn in place), otherwise an `info` log
 * line at most every `logEveryMs` with the same figures, so that logs show a long replay or
 * verification moving.
 *
 * ```ts
 * const progress = createProgress({ label: 'replay', total: head - from, stream: process.stderr, logger });
 * progress.update(position - from, written); … progress.finish(written);
 * ```
 */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  const tty = options.stream.isTTY === true;
  const every = tty ? 100 : (options.logEveryMs ?? 5000);
  let shown = -Infinity;
  const figures = (done: bigint, count: number, final: boolean) => {
    const total = options.total > 0n ? options.total : 1n;
    const fraction = final ? 1 : Math.min(1, Number((done * 10_000n) / total) / 10_000);
    const seconds = Math.max((now() - started) / 1000, 0.001);
    return { fraction, percent: Math.floor(fraction * 100), rate: Math.round(count / seconds) };
  };
  const draw = (done: bigint, count: number, final: boolean) => {
    const { fraction, percent, rate } = figures(done, count, final);
    if (tty) {
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
      options.stream.write(`\r${options.label} [${bar}] ${String(percent).padStart(3)}% ${count.toLocaleString('en')} events ${rate.toLocaleString('en')} ev/s${final ? '\n' : ''}`);
    } else {
      options.logger.info({ progress: options.label, percent, events: count, eventsPerSecond: rate, done: final }, `${options.label}: ${percent}% (${count} events)`);
    }
  };
  return {
    update(done, count) {
      const at = now();
      if (at - shown < every) return;
      shown = at;
      draw(done, count, false);
    },
    finish(count) {
      draw(options.total, count, true);
    },
  };
}

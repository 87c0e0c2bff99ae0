import type { Position, RecordedEvent, SubscribeOptions, Subscription } from './port';
import type { Wakeup } from './wakeup';

/** One page of a forward read of the log, already filtered. */
export interface LogPage {
  events: RecordedEvent[];
  /** Position of the last record looked at, matching or not: where the next read may start. */
  scannedTo: Position | undefined;
  /** True when the read reached the end of what the log held. */
  reachedEnd: boolean;
}

export interface CatchUpSource {
  /** Up to `maxCount` matching events after `after`. */
  readPage(after: Position | undefined, maxCount: number): Promise<LogPage>;
  wakeup: Wakeup;
  /** Longest wait without a wake-up before reading again. */
  pollIntervalMs: number;
}

const PAGE_SIZE = 1000;

/**
 * Catch-up-then-live subscription over any store that reads its log forwards in a gap-free
 * order: it reads pages until it has everything, calls `onCaughtUp`, then waits for a
 * wake-up (or the polling interval) and reads again. It continues from where the read got to,
 * so records that do not match the filter are read once, and tells `onCaughtUp` how far that
 * is (`scannedTo`), so a filtered consumer can say it has passed positions it never sees. `onCaughtUp` gets the last yielded
 * position, and resuming with `after` set to it continues with no gap and no duplicate.
 */
export function catchUpSubscription(source: CatchUpSource, options: Pick<SubscribeOptions, 'after' | 'onCaughtUp' | 'coalesceMs'>): Subscription {
  const abort = new AbortController();
  let checkpoint = options.after;
  let scanned = options.after;

  async function* events(): AsyncGenerator<RecordedEvent> {
    while (!abort.signal.aborted) {
      const seen = source.wakeup.current;
      const page = await source.readPage(scanned, PAGE_SIZE);
      for (const event of page.events) {
        if (abort.signal.aborted) return;
        checkpoint = event.position;
        yield event;
      }
      scanned = page.scannedTo ?? scanned;
      if (page.reachedEnd) {
        options.onCaughtUp?.(checkpoint, scanned);
        await source.wakeup.waitFor(seen, source.pollIntervalMs, abort.signal);
        if (options.coalesceMs) await delay(options.coalesceMs, abort.signal);
      }
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    async close() {
      abort.abort();
      await iterator.return(undefined);
    },
  };
}

function delay(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      // a long-lived subscription waits here on every wake-up: leave no listener behind
      abort.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort.addEventListener('abort', done, { once: true });
  });
}

import type { EventFilter, Position, ReadAllOptions, RecordedEvent, Subscription } from './port';
import { Wakeup } from './wakeup';

export interface CatchUpSource {
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  wakeup: Wakeup;
  /** Longest wait without a wake-up before reading again. */
  pollIntervalMs: number;
}

const PAGE_SIZE = 1000;

/**
 * Catch-up-then-live subscription over any store that can page `readAll` in a gap-free order:
 * it reads pages from the checkpoint until it has everything, calls `onCaughtUp`, then waits
 * for a wake-up (or the polling interval) and reads again. Resuming with `after` set to the
 * last yielded position continues with no gap and no duplicate.
 */
export function catchUpSubscription(
  source: CatchUpSource,
  options: { after?: Position; filter?: EventFilter; onCaughtUp?: (position: Position | undefined) => void },
): Subscription {
  const abort = new AbortController();
  let checkpoint = options.after;

  async function* events(): AsyncGenerator<RecordedEvent> {
    while (!abort.signal.aborted) {
      const seen = source.wakeup.current;
      const page = await source.readAll({ after: checkpoint, maxCount: PAGE_SIZE, filter: options.filter });
      for (const event of page) {
        if (abort.signal.aborted) return;
        checkpoint = event.position;
        yield event;
      }
      if (page.length < PAGE_SIZE) {
        options.onCaughtUp?.(checkpoint);
        await source.wakeup.waitFor(seen, source.pollIntervalMs, abort.signal);
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

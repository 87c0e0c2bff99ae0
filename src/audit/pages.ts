import type { EventStore, Position, RecordedEvent, EventFilter } from '../eventstore/port';

/**
 * Pages of a forward read, the next one already requested while the caller works on the
 * current one: the database produces rows while this process hashes or writes.
 *
 * ```ts
 * for await (const page of prefetchedPages((after) => store.readAll({ after, maxCount: 1000 }), (e) => e.position)) …
 * ```
 */
export async function* prefetchedPages<Item>(
  read: (after: Position | undefined) => Promise<Item[]>,
  positionOf: (item: Item) => Position,
  options: { after?: Position; pageSize: number },
): AsyncGenerator<Item[]> {
  let pending: Promise<Item[]> | undefined = read(options.after);
  try {
    while (pending) {
      const page: Item[] = await pending;
      pending = undefined;
      if (page.length === 0) return;
      if (page.length >= options.pageSize) pending = read(positionOf(page.at(-1)!));
      yield page;
    }
  } finally {
    // a consumer that stops early leaves no unobserved rejection behind
    pending?.catch(() => undefined);
  }
}

/**
 * The log in pages from `after`, through the EventStore port (any adapter). Pages of 1,000:
 * larger ones live long enough to be promoted out of the young generation, and the process
 * grows (200,000 events exported: 270 MiB peak RSS with pages of 5,000, 124 MiB with 1,000).
 *
 * ```ts
 * for await (const page of logPages(store, { after: 0n })) for (const event of page) …
 * ```
 */
export function logPages(store: EventStore, options: { after?: Position; filter?: EventFilter; pageSize?: number } = {}): AsyncGenerator<RecordedEvent[]> {
  const pageSize = options.pageSize ?? 1000;
  return prefetchedPages((after) => store.readAll({ after, maxCount: pageSize, filter: options.filter }), (event) => event.position, { after: options.after, pageSize });
}

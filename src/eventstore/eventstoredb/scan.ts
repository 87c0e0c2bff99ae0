import type { LogPage } from '../catch-up-subscription';
/**
 * Paging through EventStoreDB's $all with the port's exclusive `after` and filters.
 *
 * Client v6 cannot filter a read of $all on the server (only subscriptions), so records are
 * filtered here and the scan remembers how far it got (`scannedTo`), letting a subscription
 * continue past records that did not match instead of reading them again. $all is read only
 * up to what the server has indexed, in log order, so a page never skips a late record.
 */
import { BACKWARDS, END, FORWARDS, START, type AllStreamResolvedEvent, type Direction, type ReadPosition } from '@eventstore/db-client';
import type { Position, RecordedEvent } from '../port';
import { isPostledgerRecord, positionOf, readPositionFrom, toRecordedEvent } from './mapping';

export interface ScanIo {
  /** Up to `count` raw records of $all from `from` (inclusive going forwards). */
  readAll(from: ReadPosition, count: number, direction: Direction): AsyncIterable<AllStreamResolvedEvent>;
}

/** A page of a filtering scan of $all. */
export type ScanPage = LogPage;

export type RecordMatcher = (streamId: string, type: string) => boolean;

const MIN_CHUNK = 256;
const MAX_CHUNK = 4096;

/**
 * Up to `maxCount` matching events after `after`, in log order.
 *
 * ```ts
 * const page = await scanForwards(io, checkpoint, 1000, eventMatcher({ categories: ['post'] }));
 * ```
 * `after` should be a position this store returned. Any other value (say `position - 1n`) is
 * not the start of a record, which the server refuses to read from; the scan then finds the
 * last record at or before `after` by reading back from the end, and goes on from there.
 */
export async function scanForwards(io: ScanIo, after: Position | undefined, maxCount: number, matches: RecordMatcher): Promise<ScanPage> {
  try {
    return await scanFrom(io, readPositionFrom(after), after, maxCount, matches);
  } catch (error) {
    if (after === undefined || after === 0n) throw error;
    // if the failure was not about the position, this read fails the same way and is thrown
    return scanFrom(io, await recordAtOrBefore(io, after), after, maxCount, matches);
  }
}

async function scanFrom(io: ScanIo, from: ReadPosition, after: Position | undefined, maxCount: number, matches: RecordMatcher): Promise<ScanPage> {
  const events: RecordedEvent[] = [];
  let cursor = after;
  for (;;) {
    const count = Math.min(Math.max(maxCount - events.length + 1, MIN_CHUNK), MAX_CHUNK);
    const before = cursor;
    let raw = 0;
    for await (const resolved of io.readAll(from, count, FORWARDS)) {
      raw += 1;
      const record = resolved.event;
      if (!record) continue;
      const position = positionOf(record, resolved.commitPosition);
      // reads start at `from` inclusive: the record at the cursor was already looked at
      if (cursor !== undefined && position <= cursor) continue;
      cursor = position;
      if (!matches(record.streamId, record.type)) continue;
      events.push(toRecordedEvent(record, resolved.commitPosition));
      if (events.length >= maxCount) return { events, scannedTo: cursor, reachedEnd: false };
    }
    if (raw < count) return { events, scannedTo: cursor, reachedEnd: true };
    if (cursor === undefined || cursor === before) throw new Error(`EventStoreDB's $all did not advance past position ${String(cursor)}`);
    from = { commit: cursor, prepare: cursor };
  }
}

/** A readable start for a position that may fall inside a record: the last record at or before it. */
async function recordAtOrBefore(io: ScanIo, position: Position): Promise<ReadPosition> {
  const found = await newestWhere(io, (at) => at <= position);
  return found === undefined ? START : { commit: found, prepare: found };
}

/** Position of the newest Postledger event in the log, if any. */
export function lastEventPosition(io: ScanIo): Promise<Position | undefined> {
  return newestWhere(io, (_, streamId, type) => isPostledgerRecord(streamId, type));
}

/** Reads $all back from the end to the newest record that satisfies `test`. */
async function newestWhere(io: ScanIo, test: (position: Position, streamId: string, type: string) => boolean): Promise<Position | undefined> {
  let from: ReadPosition = END;
  for (;;) {
    let raw = 0;
    let oldest: Position | undefined;
    for await (const resolved of io.readAll(from, MIN_CHUNK, BACKWARDS)) {
      raw += 1;
      const record = resolved.event;
      if (!record) continue;
      oldest = positionOf(record, resolved.commitPosition);
      if (test(oldest, record.streamId, record.type)) return oldest;
    }
    if (raw < MIN_CHUNK || oldest === undefined) return undefined;
    // backwards from a record's position reads the records before it
    from = { commit: oldest, prepare: oldest };
  }
}

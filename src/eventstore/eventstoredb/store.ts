import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  START,
  type AllStreamResolvedEvent,
  type Direction,
  type ReadPosition,
} from '@eventstore/db-client';
import type { Logger } from 'pino';
import { checkCount, checkExpected, DEFAULT_MAX_EVENT_BYTES, prepareAppend, type PreparedEvent } from '../event-validation';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../port';
import { assertStreamId } from '../stream-name';
import { Wakeup } from '../wakeup';
import { appendWithSnapshots, type AppendIo, type StreamSnapshot, type WriteCondition } from './append';
import { LiveWakeup } from './live-wakeup';
import { clientConnectionString, eventMatcher, isStreamNotFound, positionOf, toEventData, toRecordedEvent, writeErrorOutcome, writeOutcome, type WriteOutcome } from './mapping';
import { lastEventPosition, scanForwards, type ScanIo } from './scan';
import { catchUpSubscription } from '../catch-up-subscription';

export type EventStoreDbEventStoreOptions = {
  maxEventBytes?: number;
  /** Longest a live subscription waits without a wake-up before it reads again. */
  pollIntervalMs?: number;
  logger?: Logger;
} & (
  | { connectionString: string; client?: undefined }
  /** A client owned by the caller: `close()` leaves it open. */
  | { client: EventStoreDBClient; connectionString?: undefined }
);

const PING_TIMEOUT_MS = 5000;

/**
 * The event log in EventStoreDB (server 22.6 or later; the user must be allowed to read $all).
 * Appends read their stream first to give the port's idempotency by event id, then write
 * conditioned on what they read (see append.ts); reads of $all page through the log and filter
 * here (see scan.ts); subscribers are woken by one live $all subscription, with polling as
 * the fallback.
 *
 * ```ts
 * const store = new EventStoreDbEventStore({ connectionString: 'esdb://localhost:2113?tls=false' });
 * await store.appendToStream('post-1', [{ id: randomUUID(), type: 'PostDrafted', data }], { expectedRevision: 'no_stream' });
 * ```
 */
export class EventStoreDbEventStore implements EventStore {
  readonly client: EventStoreDBClient;
  private readonly ownsClient: boolean;
  private readonly maxEventBytes: number;
  private readonly pollIntervalMs: number;
  private readonly wakeup = new Wakeup();
  private readonly live: LiveWakeup;
  private readonly appendIo: AppendIo;
  private readonly scanIo: ScanIo;

  constructor(options: EventStoreDbEventStoreOptions) {
    this.ownsClient = !options.client;
    this.client = options.client ?? EventStoreDBClient.connectionString(clientConnectionString(options.connectionString));
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.live = new LiveWakeup(
      () => this.client.subscribeToAll({ fromPosition: END, filter: excludeSystemEvents() }),
      () => this.wakeup.signal(),
      options.logger,
    );
    this.appendIo = {
      snapshot: (streamId) => this.snapshot(streamId),
      write: (streamId, condition, events) => this.write(streamId, condition, events),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    this.scanIo = { readAll: (from, count, direction) => this.readRecords(from, count, direction) };
  }

  appendToStream(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    try {
      const expected = checkExpected(options.expectedRevision ?? 'any');
      const append = prepareAppend(streamId, events, this.maxEventBytes);
      return appendWithSnapshots(this.appendIo, append, expected).then((result) => {
        this.wakeup.signal();
        return result;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertStreamId(streamId);
    const backwards = options.direction === 'backwards';
    const read = this.client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision ?? (backwards ? END : START),
      maxCount: checkCount(options.maxCount),
    });
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of read) {
        if (resolved.event) events.push(toRecordedEvent(resolved.event, resolved.commitPosition));
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = checkCount(options.maxCount);
    const page = await scanForwards(this.scanIo, options.after, limit, eventMatcher(options.filter));
    return page.events;
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    this.live.start();
    const matches = eventMatcher(options.filter);
    return catchUpSubscription(
      { readPage: (after, maxCount) => scanForwards(this.scanIo, after, maxCount, matches), wakeup: this.wakeup, pollIntervalMs: this.pollIntervalMs },
      options,
    );
  }

  headPosition(): Promise<Position | undefined> {
    return lastEventPosition(this.scanIo);
  }

  async ping(): Promise<void> {
    const read = this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`EventStoreDB did not answer a read within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([drain(read), timeout]);
    } finally {
      clearTimeout(timer);
      await read.cancel().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.live.stop();
    if (this.ownsClient) await this.client.dispose();
  }

  /** Every event of a stream, by id: what an append decides against. */
  private async snapshot(streamId: string): Promise<StreamSnapshot> {
    const stored = new Map<string, { revision: bigint; position: Position }>();
    let last: bigint | undefined;
    try {
      for await (const { event, commitPosition } of this.client.readStream(streamId, { direction: FORWARDS, fromRevision: START })) {
        if (!event) continue;
        stored.set(event.id.toLowerCase(), { revision: event.revision, position: positionOf(event, commitPosition) });
        last = event.revision;
      }
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    return { last, stored };
  }

  private async write(streamId: string, condition: WriteCondition, events: readonly PreparedEvent[]): Promise<WriteOutcome> {
    try {
      return writeOutcome(await this.client.appendToStream(streamId, events.map(toEventData), { expectedRevision: condition }));
    } catch (error) {
      return writeErrorOutcome(error);
    }
  }

  /** Raw records of $all; leaving the loop early cancels the server-side read. */
  private async *readRecords(from: ReadPosition, count: number, direction: Direction): AsyncGenerator<AllStreamResolvedEvent> {
    const read = this.client.readAll({ fromPosition: from, maxCount: count, direction });
    try {
      yield* read;
    } finally {
      await read.cancel().catch(() => undefined);
    }
  }
}

async function drain(records: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of records) {
    // the read succeeding is the answer
  }
}

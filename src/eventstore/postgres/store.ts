import { randomUUID } from 'node:crypto';
import { Pool, type PoolConfig } from 'pg';
import type { Logger } from 'pino';
import { migrate } from '../../platform/migrations';
import { catchUpSubscription, type LogPage } from '../catch-up-subscription';
import { checkCount, checkExpected, DEFAULT_MAX_EVENT_BYTES, prepareAppend } from '../event-validation';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamsOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../port';
import { assertStreamId } from '../stream-name';
import { Wakeup } from '../wakeup';
import { Appender } from './appender';
import { NotificationListener } from './listener';
import { LogTail, type TailRead } from './log-tail';
import { CommitNotifier } from './notifier';
import { eventLogMigrations } from './schema';

export interface PostgresEventStoreOptions {
  /** Connection settings; the pool is owned by the store unless `pool` is given. */
  connection: PoolConfig;
  pool?: Pool;
  maxEventBytes?: number;
  /** Longest a live subscription waits without a notification before it reads again. */
  pollIntervalMs?: number;
  /**
   * Least time between two NOTIFYs this store sends to subscribers in other processes (default
   * 3 ms): how much later than this process's own subscribers they may hear of a commit.
   */
  notifyIntervalMs?: number;
  /** Newest events kept in memory for the live subscriptions of this process (default 2,000; 0: none). See `LogTail`. */
  tailEvents?: number;
  /** Most bytes of stored data and metadata those events may take (default 16 MiB). */
  tailBytes?: number;
  logger?: Logger;
}

const COLUMNS = 'position, event_id, stream_id, revision, type, schema_version, occurred_at, data, metadata';

type EventRow = [string, string, string, string, string, number, Date, unknown, RecordedEvent['metadata']];

/**
 * The event log in PostgreSQL: group-committed appends through `pl_append`, reads paged by
 * position (gap-free because positions are committed in order), subscribers woken by
 * LISTEN/NOTIFY with a polling fallback.
 *
 * ```ts
 * const store = new PostgresEventStore({ connection: { connectionString } });
 * await store.migrate();
 * await store.appendToStream('post-1', [{ id: randomUUID(), type: 'PostDrafted', data }], { expectedRevision: 'no_stream' });
 * ```
 */
export class PostgresEventStore implements EventStore {
  readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly appender: Appender;
  private readonly notifier: CommitNotifier;
  private readonly wakeup = new Wakeup();
  private readonly listener: NotificationListener;
  private readonly maxEventBytes: number;
  private readonly pollIntervalMs: number;
  private readonly tail: LogTail;

  constructor(options: PostgresEventStoreOptions) {
    this.ownsPool = !options.pool;
    this.pool = options.pool ?? new Pool({ max: 16, ...options.connection });
    if (this.ownsPool) this.pool.on('error', (error) => options.logger?.warn({ err: error }, 'idle PostgreSQL connection failed'));
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.tail = new LogTail({
      read: (after, maxCount) => this.readTail(after, maxCount),
      wakeup: this.wakeup,
      maxEvents: options.tailEvents ?? 2000,
      maxBytes: options.tailBytes ?? 16 * 1024 * 1024,
      // a subscriber polling because notifications fail sees other processes' commits this late at most
      maxAgeMs: Math.min(100, this.pollIntervalMs),
    });
    const sender = randomUUID();
    this.notifier = new CommitNotifier(this.pool, options.logger, sender, options.notifyIntervalMs);
    this.appender = new Appender(this.pool, () => {
      // subscribers in this process at once; those of other processes through NOTIFY
      this.wakeup.signal();
      this.notifier.notify();
    });
    this.listener = new NotificationListener(
      options.connection,
      async (client) => `pl_events_${(await client.query<{ s: string }>('select current_schema() as s')).rows[0]!.s}`,
      () => this.wakeup.signal(),
      options.logger,
      sender,
    );
  }

  /** Creates or upgrades the log's schema. */
  async migrate(): Promise<string[]> {
    return migrate(this.pool, eventLogMigrations);
  }

  appendToStream(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    try {
      const expected = checkExpected(options.expectedRevision ?? 'any');
      return this.appender.append(prepareAppend(streamId, events, this.maxEventBytes), expected);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertStreamId(streamId);
    const backwards = options.direction === 'backwards';
    const limit = checkCount(options.maxCount);
    const from = options.fromRevision;
    const params: unknown[] = [streamId, limit];
    let range = '';
    if (from !== undefined) {
      params.push(from.toString());
      range = backwards ? 'and revision <= $3' : 'and revision >= $3';
    }
    const { rows } = await this.pool.query<EventRow>({
      text: `select ${COLUMNS} from pl_events where stream_id = $1 ${range}
             order by revision ${backwards ? 'desc' : 'asc'} limit $2`,
      values: params,
      rowMode: 'array',
    });
    return rows.map(toRecorded);
  }

  async readStreams(streamIds: readonly string[], options: ReadStreamsOptions): Promise<Map<string, RecordedEvent[]>> {
    for (const id of streamIds) assertStreamId(id);
    const limit = checkCount(options.maxCount);
    const order = options.direction === 'backwards' ? 'desc' : 'asc';
    const streams = new Map<string, RecordedEvent[]>();
    if (streamIds.length === 0) return streams;
    // one index range per stream (stream_id, revision), in one statement
    const { rows } = await this.pool.query<EventRow>({
      text: `select e.* from unnest($1::text[]) with ordinality as s(id, n)
             cross join lateral (select ${COLUMNS} from pl_events where stream_id = s.id order by revision ${order} limit $2) e
             order by s.n, e.revision ${order}`,
      values: [[...new Set(streamIds)], limit],
      rowMode: 'array',
    });
    for (const row of rows) {
      const event = toRecorded(row);
      const events = streams.get(event.streamId);
      if (events) events.push(event);
      else streams.set(event.streamId, [event]);
    }
    return streams;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = checkCount(options.maxCount);
    const params: unknown[] = [(options.after ?? 0n).toString(), limit];
    const where = ['position > $1'];
    const { categories, types } = options.filter ?? {};
    if (categories) {
      params.push(categories);
      where.push(`category = any($${params.length}::text[])`);
    }
    if (types) {
      params.push(types);
      where.push(`type = any($${params.length}::text[])`);
    }
    const { rows } = await this.pool.query<EventRow>({
      text: `select ${COLUMNS} from pl_events where ${where.join(' and ')} order by position limit $2`,
      values: params,
      rowMode: 'array',
    });
    return rows.map(toRecorded);
  }

  /** Every event after `after` with its stored size: what the shared tail reads. */
  private async readTail(after: Position, maxCount: number): Promise<TailRead> {
    const { rows } = await this.pool.query<[...EventRow, number]>({
      text: `select ${COLUMNS}, pg_column_size(data) + pg_column_size(metadata) from pl_events where position > $1 order by position limit $2`,
      values: [after.toString(), maxCount],
      rowMode: 'array',
    });
    return { events: rows.map((row) => toRecorded(row as unknown as EventRow)), bytes: rows.map((row) => row[9]) };
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    void this.listener.start();
    const readPage = (after: Position | undefined, maxCount: number) => this.readPage(after, maxCount, options.filter);
    return catchUpSubscription({ readPage, wakeup: this.wakeup, pollIntervalMs: this.pollIntervalMs }, options);
  }

  /**
   * A page of a subscription. A filtered page that reaches the end also reads the head of the
   * log in the same statement (one snapshot; positions commit in order, so everything up to it
   * is visible): the subscriber has then looked at every position up to the head.
   */
  private async readPage(after: Position | undefined, maxCount: number, filter: ReadAllOptions['filter']): Promise<LogPage> {
    const tailed = await this.tail.page(after ?? 0n, maxCount, filter);
    if (tailed) return tailed;
    const before = this.tail.mark();
    const page = await this.readTablePage(after, maxCount, filter);
    // the first subscriber to reach the end of the log starts the tail there
    if (page.reachedEnd) this.tail.startAt(page.scannedTo ?? after ?? 0n, before);
    return page;
  }

  private async readTablePage(after: Position | undefined, maxCount: number, filter: ReadAllOptions['filter']): Promise<LogPage> {
    if (!filter?.categories && !filter?.types) {
      const events = await this.readAll({ after, maxCount });
      return { events, scannedTo: events.at(-1)?.position, reachedEnd: events.length < maxCount };
    }
    const limit = checkCount(maxCount);
    const params: unknown[] = [(after ?? 0n).toString(), limit];
    const where = ['position > $1'];
    if (filter.categories) {
      params.push(filter.categories);
      where.push(`category = any($${params.length}::text[])`);
    }
    if (filter.types) {
      params.push(filter.types);
      where.push(`type = any($${params.length}::text[])`);
    }
    const { rows } = await this.pool.query<[...EventRow, string | null]>({
      text: `select e.*, h.head
               from (select max(position) as head from pl_events) h
               left join lateral (select ${COLUMNS} from pl_events where ${where.join(' and ')} order by position limit $2) e on true
              order by e.position`,
      values: params,
      rowMode: 'array',
    });
    const events = rows.filter((row) => row[0] !== null).map((row) => toRecorded(row.slice(0, -1) as EventRow));
    const reachedEnd = events.length < limit;
    const head = rows[0]?.at(-1);
    const scannedTo = reachedEnd && typeof head === 'string' ? BigInt(head) : events.at(-1)?.position;
    return { events, scannedTo: scannedTo ?? after, reachedEnd };
  }

  async headPosition(): Promise<Position | undefined> {
    const { rows } = await this.pool.query<{ p: string | null }>('select max(position) as p from pl_events');
    return rows[0]!.p === null ? undefined : BigInt(rows[0]!.p);
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async close(): Promise<void> {
    await this.notifier.close();
    await this.listener.stop();
    if (this.ownsPool) await this.pool.end();
  }
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    position: BigInt(row[0]),
    id: row[1],
    streamId: row[2],
    revision: BigInt(row[3]),
    type: row[4],
    schemaVersion: row[5],
    occurredAt: row[6],
    data: row[7],
    metadata: row[8],
  };
}

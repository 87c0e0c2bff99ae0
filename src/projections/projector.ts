import { sql, type Kysely } from 'kysely';
import type { ClientConfig } from 'pg';
import { Pause, runWhileLeading, SessionLock } from '../platform/session-lock';
import type { EventStore, Position, RecordedEvent, Subscription } from '../eventstore/port';
import type { Logger } from '../platform/logger';
import type { Projection } from './projection';
import { ProgressPublisher } from './progress';
import type { ReadModels } from './read-models';

export interface ProjectorOptions {
  db: Kysely<ReadModels>;
  store: EventStore;
  projection: Projection;
  /** Settings of the connection that holds the leadership lock. */
  lockConnection: ClientConfig;
  logger: Logger;
  batchSize?: number;
  /** Attempts at one batch before the projection stops in the failed state. */
  maxAttempts?: number;
  /** Base of the exponential backoff between attempts, and between tries for the lock. */
  retryMs?: number;
  /** Least time between two recordings of the read position (default 20 ms). */
  progressIntervalMs?: number;
}

/** What a projector reports about itself (metrics, readiness, `X-Min-Position`). */
export interface ProjectorStatus {
  state: ProjectorState;
  /** Position of the last event applied. */
  checkpoint: Position;
  /** How far the log has been read and applied, matching events or not (≥ checkpoint). */
  readPosition: Position;
  /** Events applied by this instance since it started. */
  eventsApplied: number;
}

export type ProjectorState = 'standby' | 'running' | 'failed' | 'stopped';

/** Another instance moved the checkpoint: this one is no longer the leader. */
class LeadershipLost extends Error {}

/**
 * Runs one projection: one active instance across processes (a session advisory lock held
 * on a connection of its own; when its holder dies the lock is released and a standby takes
 * over), catching up from the checkpoint, applying events in batches, each batch and the new
 * checkpoint in one transaction. A batch that keeps failing stops the projection in the
 * `failed` state, recorded in the checkpoint table; it is never skipped.
 */
export class Projector {
  private state: ProjectorState = 'standby';
  private stopped = false;
  private loop: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private readonly lock: SessionLock;
  private checkpointValue: Position = 0n;
  private readPositionValue: Position = 0n;
  private eventsApplied = 0;
  private readonly progress: ProgressPublisher;
  private readonly pause = new Pause();
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly retryMs: number;
  private readonly log: Logger;

  constructor(private readonly options: ProjectorOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryMs = options.retryMs ?? 200;
    this.log = options.logger.child({ projection: options.projection.name });
    // losing the lock's connection loses the lead: stop projecting at once
    this.lock = new SessionLock(options.lockConnection, `projection:${options.projection.name}`, () => void this.subscription?.close());
    this.progress = new ProgressPublisher({ db: options.db, projection: options.projection.name, logger: this.log, intervalMs: options.progressIntervalMs });
  }

  get name(): string {
    return this.options.projection.name;
  }

  get status(): ProjectorStatus {
    return { state: this.state, checkpoint: this.checkpointValue, readPosition: this.readPositionValue, eventsApplied: this.eventsApplied };
  }

  /** Starts competing for leadership and projecting; returns at once. */
  start(): void {
    this.stopped = false;
    this.progress.start();
    this.loop ??= runWhileLeading({
      lock: this.lock,
      pause: this.pause,
      retryMs: this.retryMs,
      isStopped: () => this.stopped,
      lead: () => this.lead(),
      onError: (error) => this.log.error({ err: error }, 'projection leadership ended with an error'),
      isFinished: () => this.failed(),
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    await this.subscription?.close();
    await this.loop;
    await this.lock.release();
    await this.progress.close();
    this.loop = undefined;
    this.state = 'stopped';
  }

  private async lead(): Promise<void> {
    const { db, store, projection } = this.options;
    await db
      .insertInto('pl_projection_checkpoints')
      .values({ name: this.name, position: '0', status: 'running', error: null })
      .onConflict((oc) => oc.column('name').doUpdateSet({ status: 'running', error: null }))
      .execute();
    const row = await db.selectFrom('pl_projection_checkpoints').select(['position', 'read_position']).where('name', '=', this.name).executeTakeFirstOrThrow();
    this.checkpointValue = BigInt(row.position);
    this.readPositionValue = max(this.checkpointValue, BigInt(row.read_position));
    this.state = 'running';
    this.log.info({ checkpoint: row.position }, 'projection active');

    let batch: RecordedEvent[] = [];
    let flushing: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      const events = batch;
      batch = [];
      if (events.length > 0) await this.applyWithRetries(events);
    };
    const subscription = store.subscribe({
      after: this.checkpointValue === 0n ? undefined : this.checkpointValue,
      filter: projection.filter,
      // a few milliseconds of lag buy far fewer reads when commits come thick and fast
      coalesceMs: 10,
      // the log is read to its end: apply what is gathered rather than wait for a full batch;
      // once applied, every position read (matching or not) is passed
      onCaughtUp: (_position, scannedTo) => {
        flushing = flushing.then(flush).then(() => this.passed(scannedTo));
        // the loop below awaits it; until then a failure must not count as unhandled
        flushing.catch(() => undefined);
      },
    });
    this.subscription = subscription;
    try {
      // stop() may have come while this instance was taking the lead
      if (this.stopped) return;
      for await (const event of subscription) {
        if (this.stopped) break;
        await flushing;
        batch.push(event);
        if (batch.length >= this.batchSize) {
          flushing = flush();
          await flushing;
        }
      }
      await flushing;
    } catch (error) {
      if (error instanceof LeadershipLost) {
        this.log.warn('another instance took over the projection');
        this.state = 'standby';
        return;
      }
      if (!this.failed()) throw error;
    } finally {
      this.subscription = undefined;
      await subscription.close();
    }
    if (!this.failed()) this.state = 'standby';
  }

  private async applyWithRetries(events: RecordedEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.applyBatch(events);
        return;
      } catch (error) {
        if (error instanceof LeadershipLost) {
          // end the subscription, so that the loop sees it now rather than at the next event
          void this.subscription?.close();
          throw error;
        }
        if (attempt >= this.maxAttempts || this.stopped) {
          const message = error instanceof Error ? error.message : String(error);
          this.log.error({ err: error, position: events[0]!.position.toString() }, 'projection failed: it stops here until fixed and restarted');
          await this.options.db
            .updateTable('pl_projection_checkpoints')
            .set({ status: 'failed', error: `at position ${events[0]!.position}: ${message}`.slice(0, 2000) })
            .where('name', '=', this.name)
            .execute()
            .catch(() => undefined);
          // visible in memory only once it is recorded, so whoever sees it can read why
          this.state = 'failed';
          void this.subscription?.close();
          throw error;
        }
        this.log.warn({ err: error, attempt }, 'projection batch failed; retrying');
        await this.pause.sleep(this.retryMs * 2 ** (attempt - 1));
      }
    }
  }

  private async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events.at(-1)!.position;
    await this.options.db.transaction().execute(async (trx) => {
      // moving the checkpoint from where this instance left it fails if another moved it;
      // committed asynchronously (no wait for the WAL flush): rows and checkpoint are one
      // transaction, so a commit lost in a crash only takes the projection back to its
      // previous checkpoint, from where it applies the same events again
      const { rows } = await sql<{ moved: string }>`
        with moved as (
          update pl_projection_checkpoints set position = ${last.toString()}::bigint, updated_at = now()
           where name = ${this.name} and position = ${this.checkpointValue.toString()}::bigint
          returning 1
        )
        select count(*) as moved, set_config('synchronous_commit', 'off', true) from moved`.execute(trx);
      if (Number(rows[0]!.moved) !== 1) throw new LeadershipLost();
      await this.options.projection.apply(trx, events);
    });
    this.checkpointValue = last;
    this.eventsApplied += events.length;
    this.passed(last);
  }

  /** Every event up to `position` is applied or does not concern this projection. */
  private passed(position: Position | undefined): void {
    if (position === undefined || position <= this.readPositionValue) return;
    this.readPositionValue = position;
    this.progress.report(position);
  }

  /** Read through a method: the state changes across awaits, which narrowing does not see. */
  private failed(): boolean {
    return this.state === 'failed';
  }

}

function max(a: Position, b: Position): Position {
  return a > b ? a : b;
}

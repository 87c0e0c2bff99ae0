import { sql, type Kysely } from 'kysely';
import type { Position } from '../eventstore/port';
import type { Logger } from '../platform/logger';
import type { ReadModels } from './read-models';

/** The LISTEN/NOTIFY channel on which projectors announce progress, per database schema. */
export const PROGRESS_CHANNEL_PREFIX = 'pl_progress_';

export interface ProgressPublisherOptions {
  db: Kysely<ReadModels>;
  projection: string;
  logger: Logger;
  /** Least time between two announcements (default 20 ms): progress is coalesced meanwhile. */
  intervalMs?: number;
}

/**
 * Records how far a projection has read the log (`read_position`: every event up to it is
 * applied or does not concern the projection) and announces it with a NOTIFY on
 * `pl_progress_<schema>`, where queries waiting for `X-Min-Position` listen.
 *
 * A filtered projection's checkpoint stays at the last event it applied, possibly far behind
 * the log; the read position is what makes "it has passed position P" decidable. Writes are
 * coalesced (one in flight, at most one per `intervalMs`) and committed asynchronously: a lost
 * one only means the projection is recorded a little behind, and the next one catches up.
 *
 * ```ts
 * const progress = new ProgressPublisher({ db, projection: 'posts', logger });
 * progress.report(1042n); // after the projection passed position 1042
 * ```
 */
export class ProgressPublisher {
  private target: Position = 0n;
  private published: Position = 0n;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private readonly intervalMs: number;

  constructor(private readonly options: ProgressPublisherOptions) {
    this.intervalMs = options.intervalMs ?? 20;
  }

  /** The projection has passed `position`; announced soon, coalesced with what follows. */
  report(position: Position): void {
    if (position <= this.target) return;
    this.target = position;
    this.schedule(this.intervalMs);
  }

  /** Allows announcements again after `close()`. */
  start(): void {
    this.closed = false;
  }

  /** Sends what is pending now and stops. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (this.target > this.published) await this.send();
    this.closed = true;
  }

  private schedule(intervalMs: number): void {
    if (this.closed || this.inFlight || this.timer || this.target <= this.published) return;
    const wait = Math.max(0, this.lastAt + intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.send().finally(() => {
        this.inFlight = undefined;
        this.schedule(this.intervalMs);
      });
    }, wait);
  }

  private async send(): Promise<void> {
    const position = this.target;
    this.lastAt = Date.now();
    try {
      // asynchronous commit: this row is a hint that a later write repeats, not a fact to fsync for
      await sql`
        with moved as (
          update pl_projection_checkpoints set read_position = ${position.toString()}::bigint
           where name = ${this.options.projection} and read_position < ${position.toString()}::bigint
        )
        select set_config('synchronous_commit', 'off', true), pg_notify(${PROGRESS_CHANNEL_PREFIX} || current_schema(), ${this.options.projection})`.execute(this.options.db);
      if (position > this.published) this.published = position;
    } catch (error) {
      this.options.logger.warn({ err: error, projection: this.options.projection }, 'could not record projection progress; retrying');
      // back off: the database is likely down
      this.lastAt = Date.now() + 1000;
    }
  }
}

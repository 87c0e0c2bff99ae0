import type { Client, Pool } from 'pg';
import { NotificationListener } from '../eventstore/postgres/listener';
import { Wakeup } from '../eventstore/wakeup';
import type { Position } from '../eventstore/port';
import { HttpError, ValidationFailed } from '../http/api-errors';
import type { Logger } from '../platform/logger';
import { PROGRESS_CHANNEL_PREFIX } from '../projections/progress';

/** The projections have not passed the position in time: 503, try again shortly. */
export class ReadModelsBehind extends HttpError {
  constructor(position: Position, behind: readonly string[], retryAfterSeconds: number) {
    super(
      503,
      `The read models have not yet caught up to position ${position} (${behind.join(', ')}); retry shortly.`,
      'ReadModelsBehind',
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}

/**
 * `X-Min-Position`: the token of a command's `X-Event-Position` (a decimal log position).
 * Absent: undefined; anything else is 422 naming the header.
 */
export function minPositionOf(header: string | undefined): Position | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (!/^\d{1,19}$/.test(value) || BigInt(value) > 9_223_372_036_854_775_807n) {
    throw new ValidationFailed([{ in: 'headers', field: 'X-Min-Position', message: 'must be the X-Event-Position of a command response (a log position)' }]);
  }
  return BigInt(value);
}

export interface ReadYourWritesOptions {
  pool: Pool;
  logger: Logger;
  /** Longest a query waits for its projections (default 5 s). */
  timeoutMs?: number;
  /** Longest wait between two checks when no notification comes (default 250 ms). */
  recheckMs?: number;
}

/**
 * Waits until projections have passed a log position: their recorded checkpoint or read
 * position (see projections/progress.ts) is at or beyond it. Woken by the projectors' NOTIFY on
 * `pl_progress_<schema>` (one LISTEN connection, opened at the first wait), with a slow recheck
 * as the fallback; bounded by `timeoutMs`, then {@link ReadModelsBehind}.
 *
 * ```ts
 * await readYourWrites.waitFor(['posts'], 1042n); // the posts read model includes position 1042
 * ```
 */
export class ReadYourWrites {
  private readonly wakeup = new Wakeup();
  private readonly listener: NotificationListener;
  private listening: Promise<void> | undefined;
  /** The latest read of the checkpoints, and the wake-up version it started at. */
  private reading: { version: number; at: number; passed: Promise<Map<string, Position>> } | undefined;
  readonly timeoutMs: number;
  private readonly recheckMs: number;

  constructor(private readonly options: ReadYourWritesOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.recheckMs = options.recheckMs ?? 250;
    this.listener = new NotificationListener(
      options.pool.options,
      async (client: Client) => `${PROGRESS_CHANNEL_PREFIX}${(await client.query<{ s: string }>('select current_schema() as s')).rows[0]!.s}`,
      () => this.wakeup.signal(),
      options.logger,
    );
  }

  /** Resolves once every projection in `names` has passed `position`; throws {@link ReadModelsBehind} after the timeout. */
  async waitFor(names: readonly string[], position: Position): Promise<void> {
    if (names.length === 0) return;
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const seen = this.wakeup.current;
      const behind = await this.behind(names, position);
      if (behind.length === 0) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new ReadModelsBehind(position, behind, Math.max(1, Math.ceil(this.timeoutMs / 1000)));
      this.listening ??= this.listener.start();
      await this.listening;
      await this.wakeup.waitFor(seen, Math.min(remaining, this.recheckMs));
    }
  }

  async close(): Promise<void> {
    await this.listener.stop();
    this.listening = undefined;
  }

  /** The projections of `names` that have not passed `position`. */
  private async behind(names: readonly string[], position: Position): Promise<string[]> {
    const passed = await this.passedPositions();
    return names.filter((n) => (passed.get(n) ?? -1n) < position);
  }

  /**
   * How far each projection has got. Every request waiting when a notification comes shares
   * one read: a read started since the last wake-up is as fresh as a new one would be (and,
   * without notifications, one younger than the recheck interval).
   */
  private passedPositions(): Promise<Map<string, Position>> {
    const version = this.wakeup.current;
    if (this.reading?.version !== version || Date.now() - this.reading.at >= this.recheckMs) {
      const passed = this.options.pool
        .query<{ name: string; passed: string }>('select name, greatest(position, read_position) as passed from pl_projection_checkpoints')
        .then(({ rows }) => new Map(rows.map((r) => [r.name, BigInt(r.passed)])));
      this.reading = { version, at: Date.now(), passed };
      // a failed read is not kept: the next waiter reads again
      passed.catch(() => {
        if (this.reading?.passed === passed) this.reading = undefined;
      });
    }
    return this.reading!.passed;
  }
}

import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import type { Logger } from 'pino';

/** Default least time between two notifications of one store (ms). */
export const DEFAULT_NOTIFY_INTERVAL_MS = 3;

/**
 * Tells other processes that the log grew: one `NOTIFY` after appends commit, outside their
 * transactions, never more than one in flight and at most one per `minIntervalMs` (appends
 * committed meanwhile are covered by the next one). A lost notification only delays a
 * subscriber until its polling fallback.
 *
 * The interval is for a writer working alone: each append returns before the next begins, so
 * without it every append had a NOTIFY of its own — a second transaction on the server for
 * each, ≈ 25% of one-at-a-time append throughput on a 2-core machine. With it a subscriber in
 * another process hears of a commit at most `minIntervalMs` later (those of this process are
 * woken directly by the store, not through here).
 */
export class CommitNotifier {
  private running = false;
  private pending = false;
  private closed = false;
  private lastSentAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private current: Promise<void> | undefined;
  private channel: Promise<string> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly logger?: Logger,
    /** Sent as the payload, so that this process's own listener can ignore what it already knows. */
    private readonly sender: string | null = null,
    private readonly minIntervalMs = DEFAULT_NOTIFY_INTERVAL_MS,
  ) {}

  notify(): void {
    if (this.closed) return;
    this.pending = true;
    if (this.running) return;
    this.running = true;
    this.current = this.run();
  }

  /**
   * Drops a notification still waiting for its interval, sends no more, and resolves once a
   * NOTIFY already sent has its answer (the pool may end next).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = false;
    clearTimeout(this.timer);
    this.wake?.();
    await this.current;
  }

  private async run(): Promise<void> {
    try {
      while (this.pending && !this.closed) {
        const wait = this.lastSentAt + this.minIntervalMs - performance.now();
        if (wait > 0) await this.sleep(wait);
        if (!this.pending || this.closed) break;
        this.pending = false;
        this.lastSentAt = performance.now();
        await this.send();
      }
    } finally {
      this.running = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private async send(): Promise<void> {
    try {
      this.channel ??= this.pool.query<{ s: string }>('select current_schema() as s').then((r) => `pl_events_${r.rows[0]!.s}`);
      await this.pool.query('select pg_notify($1, $2)', [await this.channel, this.sender]);
    } catch (error) {
      this.channel = undefined;
      this.logger?.warn({ err: error }, 'could not notify subscribers of new events; they will poll');
    }
  }
}

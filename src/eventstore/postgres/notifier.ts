import type { Pool } from 'pg';
import type { Logger } from 'pino';

/**
 * Tells other processes that the log grew: one `NOTIFY` after appends commit, outside their
 * transactions, never more than one in flight (appends committed meanwhile are covered by
 * the next one). A lost notification only delays a subscriber until its polling fallback.
 */
export class CommitNotifier {
  private inFlight = false;
  private pending = false;
  private channel: Promise<string> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly logger?: Logger,
    /** Sent as the payload, so that this process's own listener can ignore what it already knows. */
    private readonly sender: string | null = null,
  ) {}

  notify(): void {
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = true;
    void this.send();
  }

  private async send(): Promise<void> {
    try {
      do {
        this.pending = false;
        this.channel ??= this.pool.query<{ s: string }>('select current_schema() as s').then((r) => `pl_events_${r.rows[0]!.s}`);
        await this.pool.query('select pg_notify($1, $2)', [await this.channel, this.sender]);
      } while (this.pending);
    } catch (error) {
      this.channel = undefined;
      this.logger?.warn({ err: error }, 'could not notify subscribers of new events; they will poll');
    } finally {
      this.inFlight = false;
    }
  }
}

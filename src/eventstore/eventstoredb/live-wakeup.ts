import type { Logger } from 'pino';

/** The part of the client's live $all subscription that the wake-up listens to. */
export interface LiveFeed {
  on(event: 'data' | 'confirmation' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  unsubscribe(): Promise<void>;
}

/**
 * One live subscription to $all per store, shared by all its subscribers: every record it
 * sees (and every (re)connection) wakes them to scan. When it drops it reconnects with
 * backoff; meanwhile subscribers fall back to polling, so nothing is missed.
 */
export class LiveWakeup {
  private feed: LiveFeed | undefined;
  private stopped = true;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly open: () => LiveFeed,
    private readonly onRecord: () => void,
    private readonly logger?: Logger,
  ) {}

  /** Starts listening; idempotent. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  private connect(): void {
    let feed: LiveFeed;
    try {
      feed = this.open();
    } catch (error) {
      this.dropped(undefined, error);
      return;
    }
    this.feed = feed;
    const alive = (): void => {
      this.attempt = 0;
      this.onRecord();
    };
    feed.on('data', alive);
    // records appended while no subscription was open are picked up by this wake-up
    feed.on('confirmation', alive);
    feed.on('error', (error) => this.dropped(feed, error));
    feed.on('end', () => this.dropped(feed));
    feed.on('close', () => this.dropped(feed));
  }

  private dropped(feed: LiveFeed | undefined, error?: unknown): void {
    // a feed that stop() let go of, or one already handled, is no longer this.feed
    if (feed !== this.feed) return;
    this.feed = undefined;
    this.logger?.warn({ err: error, attempt: this.attempt }, 'EventStoreDB live subscription dropped; subscribers poll');
    const delay = Math.min(100 * 2 ** this.attempt, 5000);
    this.attempt += 1;
    // stop() clears this timer, so it only fires while running
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const feed = this.feed;
    this.feed = undefined;
    if (feed) await feed.unsubscribe().catch(() => undefined);
  }
}

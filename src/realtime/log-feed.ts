import type { EventStore, Position, Subscription } from '../eventstore/port';
import type { Logger } from '../platform/logger';
import { FeedEvent, type LiveFeed } from './feed';

export interface LogFeedOptions {
  store: EventStore;
  logger: Logger;
  /** Wait before subscribing again after the subscription failed (default 1000 ms). */
  retryMs?: number;
}

/**
 * The feed without Kafka: one catch-up subscription to the log for the whole process
 * (LISTEN/NOTIFY wakes it on PostgreSQL), from the head at start. Should the subscription
 * fail, it subscribes again after the last position it handed over, so nothing is skipped
 * or repeated.
 *
 * ```ts
 * const feed = new LogFeed({ store, logger });
 * await feed.start((event) => gateway.dispatch(event));
 * ```
 */
export class LogFeed implements LiveFeed {
  readonly kind = 'log';
  /** Undefined until the head of the log was read (or while the log is empty). */
  private current: Position | undefined;
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;

  constructor(private readonly options: LogFeedOptions) {}

  get position(): Position | undefined {
    return this.current;
  }

  /** Resolves at once: should the log be unreachable, the feed keeps trying (and `/readyz` shows the log down). */
  async start(deliver: (event: FeedEvent) => void): Promise<void> {
    this.running = this.run(deliver);
  }

  private async run(deliver: (event: FeedEvent) => void): Promise<void> {
    let started = false;
    while (!this.stopped) {
      let subscription: Subscription | undefined;
      try {
        if (!started) {
          this.current = await this.options.store.headPosition();
          started = true;
          // stopped while reading the head: there is no subscription yet for stop() to close
          if (this.stopped) return;
        }
        subscription = this.options.store.subscribe({ after: this.current });
        this.subscription = subscription;
        for await (const event of subscription) {
          if (this.current !== undefined && event.position <= this.current) continue;
          this.current = event.position;
          deliver(new FeedEvent(event));
        }
      } catch (error) {
        if (this.stopped) return;
        this.options.logger.warn({ err: error, position: this.current?.toString() }, 'realtime feed: the log cannot be read; trying again');
        await subscription?.close().catch(() => undefined);
        await new Promise<void>((resolve) => {
          this.wakeRetry = resolve;
          this.retryTimer = setTimeout(resolve, this.options.retryMs ?? 1000);
        });
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    await this.subscription?.close();
    await this.running;
  }
}

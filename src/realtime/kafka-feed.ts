import { eventsByCategory } from '../domain/catalogue';
import type { EventStore, Position, RecordedEvent } from '../eventstore/port';
import type { Logger } from '../platform/logger';
import { type Consumer, type MessageBus, topics } from '../streaming/bus';
import { parseEnvelope } from './envelope';
import { FeedEvent, type LiveFeed } from './feed';

export interface KafkaFeedOptions {
  /** Read without a group: this process reads every partition. */
  bus: MessageBus;
  /** The log: where the feed starts, and what fills the gaps. */
  store: EventStore;
  logger: Logger;
  /** Topics by category (default `postledger.<category>`; tests use topics of their own). */
  topicOf?: (category: string) => string;
  /** How long an event after a missing position waits for it before the log is read (default 100 ms). */
  gapWaitMs?: number;
  /** How often the feed checks that it is not behind the log with nothing arriving (default 1000 ms). */
  stallCheckMs?: number;
  /** Wait before trying Kafka again when consuming could not start (default 2000 ms). */
  retryMs?: number;
  /** Called with `stop()` (the bus is the feed's own when the service made it for the feed). */
  onStop?: () => Promise<void>;
}

/** Longest wait for the bus to close on stop. */
const STOP_TIMEOUT_MS = 2000;
/** Events read from the log per page when it fills a gap. */
const FILL_PAGE = 1000;

/**
 * The feed with Kafka: this process reads every partition of the event topics and hands the
 * events over in position order. Partitions interleave, so an event that arrives before the
 * one just before it waits; the log's positions have no holes (PostgreSQL), so a position that
 * has not come within `gapWaitMs` is read from the log instead, and so is anything appended
 * between the start and the consumer's first offsets, and everything when Kafka is down or
 * behind (checked every `stallCheckMs`). Whatever comes twice (Kafka and log) is dropped by
 * position.
 *
 * ```ts
 * const feed = new KafkaFeed({ bus: new KafkaBus({ brokers }), store, logger });
 * await feed.start((event) => gateway.dispatch(event));
 * ```
 */
export class KafkaFeed implements LiveFeed {
  readonly kind = 'kafka';
  /** Undefined until the head of the log was read. */
  private current: Position | undefined;
  /** Events past a missing position, by position. */
  private readonly held = new Map<Position, RecordedEvent>();
  private deliver: ((event: FeedEvent) => void) | undefined;
  private consumer: Consumer | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private filling: Promise<void> | undefined;
  private positionAtLastCheck: Position | undefined;
  private stopped = false;

  constructor(private readonly options: KafkaFeedOptions) {}

  get position(): Position | undefined {
    return this.current;
  }

  /** Resolves at once: the head of the log is read by the first fill, Kafka is connected in the background. */
  async start(deliver: (event: FeedEvent) => void): Promise<void> {
    this.deliver = deliver;
    this.fill();
    this.stallTimer = setInterval(() => void this.checkStall(), this.options.stallCheckMs ?? 1000);
    this.stallTimer.unref();
    // Kafka may be down: the log covers until the consumer runs
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.gapTimer);
    clearInterval(this.stallTimer);
    clearTimeout(this.retryTimer);
    await this.consumer?.stop();
    await this.filling;
    // a bus still trying to reach a broker that is down would hold the shutdown for its whole retry period
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.options.logger.warn('realtime feed: the Kafka client did not close in time; leaving it');
        resolve();
      }, STOP_TIMEOUT_MS);
    });
    await Promise.race([this.options.onStop?.(), bounded]);
    clearTimeout(timer);
  }

  private async connect(): Promise<void> {
    const topicOf = this.options.topicOf ?? topics.ofCategory;
    try {
      const consumer = await this.options.bus.consume({
        topics: Object.keys(eventsByCategory).map(topicOf),
        handle: async (message) => this.receive(message.value),
      });
      if (this.stopped) await consumer.stop();
      else this.consumer = consumer;
      // what was appended before the consumer's first offsets
      this.fill();
    } catch (error) {
      if (this.stopped) return;
      this.options.logger.warn({ err: error }, 'realtime feed: cannot consume from Kafka yet; the log covers meanwhile');
      this.retryTimer = setTimeout(() => void this.connect(), this.options.retryMs ?? 2000);
      this.retryTimer.unref();
    }
  }

  private receive(value: string): void {
    const event = parseEnvelope(value);
    if (!event) {
      this.options.logger.warn('realtime feed: a Kafka message is not an event envelope; skipped');
      return;
    }
    // until the head is known, the first fill covers everything
    if (this.current === undefined || event.position <= this.current || this.stopped) return;
    this.held.set(event.position, event);
    this.release();
  }

  /** Hands over the held events that follow the current position without a hole. */
  private release(): void {
    if (this.current === undefined) return;
    for (let next = this.held.get(this.current + 1n); next !== undefined; next = this.held.get(this.current! + 1n)) {
      this.held.delete(next.position);
      this.handOver(next);
    }
    if (this.held.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else if (this.gapTimer === undefined) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        this.fill();
      }, this.options.gapWaitMs ?? 100);
    }
  }

  private handOver(event: RecordedEvent): void {
    if (this.current !== undefined && event.position <= this.current) return;
    this.current = event.position;
    this.deliver!(new FeedEvent(event));
  }

  /** Reads the log after the current position to its end; Kafka's copies of those events are dropped. */
  private fill(): void {
    if (this.filling || this.stopped) return;
    this.filling = (async () => {
      try {
        // the feed starts at the head of the log: nothing older is live
        this.current ??= (await this.options.store.headPosition()) ?? 0n;
        for (;;) {
          const page = await this.options.store.readAll({ after: this.current, maxCount: FILL_PAGE });
          if (this.stopped) return;
          for (const event of page) this.handOver(event);
          if (page.length < FILL_PAGE) break;
        }
      } catch (error) {
        this.options.logger.warn({ err: error }, 'realtime feed: reading the log to fill a gap failed; trying again');
      } finally {
        this.filling = undefined;
        for (const position of this.held.keys()) if (this.current !== undefined && position <= this.current) this.held.delete(position);
        if (!this.stopped) this.release();
      }
    })();
  }

  /** Nothing handed over since the last check while the log moved on: Kafka is down, lagging or not fed. */
  private async checkStall(): Promise<void> {
    const unchanged = this.current === this.positionAtLastCheck;
    this.positionAtLastCheck = this.current;
    if (!unchanged || this.filling) return;
    if (this.current === undefined) {
      this.fill();
      return;
    }
    try {
      const head = await this.options.store.headPosition();
      if (head !== undefined && head > this.current) this.fill();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'realtime feed: cannot read the head of the log');
    }
  }
}

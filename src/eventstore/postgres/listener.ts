import { Client, type ClientConfig } from 'pg';
import type { Logger } from 'pino';

/**
 * One LISTEN connection per store, shared by all its subscriptions. When it drops it
 * reconnects with backoff; meanwhile subscribers fall back to polling, so nothing is missed.
 */
export class NotificationListener {
  private client: Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly config: ClientConfig,
    private readonly channelOf: (client: Client) => Promise<string>,
    private readonly onNotify: () => void,
    private readonly logger?: Logger,
    /** Notifications with this payload come from this process and are ignored. */
    private readonly ignorePayload?: string,
  ) {}

  /** Starts listening (idempotent); resolves once LISTEN is in place or the first try failed. */
  start(): Promise<void> {
    this.stopped = false;
    this.starting ??= this.connect(0);
    return this.starting;
  }

  private async connect(attempt: number): Promise<void> {
    const client = new Client(this.config);
    client.on('error', () => undefined);
    try {
      await client.connect();
      const channel = await this.channelOf(client);
      client.on('notification', (message) => {
        // this process's own appends have woken its subscribers already
        if (this.ignorePayload === undefined || message.payload !== this.ignorePayload) this.onNotify();
      });
      client.on('end', () => this.reconnect(0));
      await client.query(`listen ${client.escapeIdentifier(channel)}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      // events committed while we were not listening are picked up by this wake-up
      this.onNotify();
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.logger?.warn({ err: error, attempt }, 'event notifications unavailable; subscribers poll');
      this.reconnect(attempt + 1);
    }
  }

  private reconnect(attempt: number): void {
    this.client = undefined;
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(100 * 2 ** attempt, 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.starting = this.connect(attempt);
    }, delay);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.starting;
    const client = this.client;
    this.client = undefined;
    this.starting = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}

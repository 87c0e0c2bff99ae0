import type { ClientConfig, Pool } from 'pg';
import type { EventStore, Position, Subscription } from '../eventstore/port';
import type { Logger } from '../platform/logger';
import { Pause, runWhileLeading, SessionLock } from '../platform/session-lock';
import type { BusMessage, MessageBus } from './bus';
import { advanceRelayCheckpoint, loadRelayCheckpoint } from './relay-checkpoint';
import { toOutboundMessage } from './relay-message';

/** An event ready to publish: built as it is read, while the batch before it is in flight. */
interface Outgoing {
  topic: string;
  message: BusMessage;
  position: Position;
  /** {@link sizeOf} the message. */
  bytes: number;
}

export interface RelayOptions {
  store: EventStore;
  bus: MessageBus;
  /** Where the checkpoint lives (`pl_relay_checkpoints`). */
  pool: Pool;
  /** Settings of the connection that holds the leadership lock. */
  lockConnection: ClientConfig;
  logger: Logger;
  /** Events per publish (default 1000): a full batch is sent at once, a partial one when the log is read to its end. */
  batchSize?: number;
  /** Base of the backoff between attempts at a batch (doubling up to `maxRetryMs`), and between tries for the lock. */
  retryMs?: number;
  maxRetryMs?: number;
  /**
   * Most bytes (keys, values, headers) in one publish (default 768 KiB): below Kafka's default
   * `message.max.bytes` (1 MiB), which bounds each partition's share of a request. A larger
   * event goes alone; the broker must accept it (set its `message.max.bytes` above MAX_EVENT_BYTES).
   */
  maxBatchBytes?: number;
  /** Names the checkpoint row and the lock (default `outbound`). */
  name?: string;
}

/**
 * `standby`: another process is the active relay (or none yet); `running`: publishing;
 * `broker_unavailable`: the last publish failed and is being retried; `stopped`.
 */
export type RelayState = 'standby' | 'running' | 'broker_unavailable' | 'stopped';
export const RELAY_STATES: readonly RelayState[] = ['standby', 'running', 'broker_unavailable', 'stopped'];

/** Another instance moved the checkpoint: this one is no longer the active relay. */
class LeadershipLost extends Error {}
/** `stop()` came while a batch was being retried. */
class Stopping extends Error {}

/**
 * The outbound relay: publishes every event of the log, in log order, to
 * `postledger.<category>` (see {@link toOutboundMessage}), and moves its checkpoint in
 * PostgreSQL only after the bus acknowledged the batch.
 *
 * - One active relay across processes: a session advisory lock ({@link SessionLock}); when
 *   its holder dies, a standby takes over from the checkpoint. The checkpoint only moves from
 *   where this instance left it, so a relay that lost the lead cannot move it back.
 * - A failed publish (broker down) is retried with backoff until it succeeds: nothing is
 *   skipped, and batches go out one after another, so order per key is kept.
 * - Duplicates: events acknowledged but not yet checkpointed when a relay dies are sent again
 *   by the next one, with the same `ce_id`.
 *
 * ```ts
 * const relay = new Relay({ store, bus, pool, lockConnection, logger });
 * relay.start();
 * await relay.stop();
 * ```
 */
export class Relay {
  private state: RelayState = 'standby';
  private stopped = false;
  private loop: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private readonly lock: SessionLock;
  private checkpointValue: Position | undefined;
  private published = 0;
  private readonly pause = new Pause();
  private readonly name: string;
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly log: Logger;

  constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'outbound';
    this.batchSize = options.batchSize ?? 1000;
    this.maxBatchBytes = options.maxBatchBytes ?? 768 * 1024;
    this.retryMs = options.retryMs ?? 200;
    this.maxRetryMs = options.maxRetryMs ?? 5000;
    this.log = options.logger.child({ relay: this.name });
    // losing the lock's connection loses the lead: stop reading at once
    this.lock = new SessionLock(options.lockConnection, `relay:${this.name}`, () => void this.subscription?.close());
  }

  /** This process's view: its state, the last position it checkpointed, the events it published. */
  get status(): { name: string; state: RelayState; checkpoint: Position | undefined; published: number } {
    return { name: this.name, state: this.state, checkpoint: this.checkpointValue, published: this.published };
  }

  /** Starts competing for the lead and relaying; returns at once. */
  start(): void {
    this.stopped = false;
    this.loop ??= runWhileLeading({
      lock: this.lock,
      pause: this.pause,
      retryMs: this.retryMs,
      isStopped: () => this.stopped,
      lead: () => this.lead(),
      onError: (error) => {
        this.log.error({ err: error }, 'relay leadership ended with an error');
        this.state = 'standby';
      },
    });
  }

  /** Stops after the batch in flight (a batch being retried is abandoned: its events are sent by the next relay). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    await this.subscription?.close();
    await this.loop;
    await this.lock.release();
    this.loop = undefined;
    this.state = 'stopped';
  }

  private async lead(): Promise<void> {
    const checkpoint = await loadRelayCheckpoint(this.options.pool, this.name);
    this.checkpointValue = checkpoint.position;
    this.state = 'running';
    this.log.info({ checkpoint: checkpoint.position?.toString() ?? null }, 'relay active');

    // One send in flight at a time; what arrives meanwhile goes in the next one (up to a batch),
    // so under a steady trickle each round trip carries everything that is waiting.
    let batch: Outgoing[] = [];
    let inFlight: Promise<void> | undefined;
    let failure: unknown;
    const send = (): void => {
      if (inFlight || batch.length === 0 || failure !== undefined) return;
      const outgoing = batch;
      batch = [];
      inFlight = this.sendWithRetries(outgoing).then(
        () => {
          inFlight = undefined;
          send();
        },
        (error: unknown) => {
          failure = error;
          inFlight = undefined;
          void this.subscription?.close();
        },
      );
    };
    const subscription = this.options.store.subscribe({
      after: checkpoint.position,
      // read to the end: send what is gathered rather than wait for a full batch
      onCaughtUp: send,
    });
    this.subscription = subscription;
    try {
      // stop() may have come while this instance was taking the lead
      if (this.stopped) return;
      for await (const event of subscription) {
        if (this.stopped || failure !== undefined) break;
        const { topic, message } = toOutboundMessage(event);
        batch.push({ topic, message, position: event.position, bytes: sizeOf(message) });
        if (batch.length >= this.batchSize) {
          // a full batch waits for the one in flight (whose end sends it): memory stays at two batches
          if (inFlight) await inFlight;
          send();
        }
      }
      while (inFlight) await inFlight;
    } finally {
      this.subscription = undefined;
      await subscription.close();
    }
    if (failure instanceof LeadershipLost) this.log.warn('another instance took over the relay');
    else if (failure !== undefined && !(failure instanceof Stopping)) throw failure;
    this.state = 'standby';
  }

  /** Publishes the events in log order, in requests of at most `maxBatchBytes`, each checkpointed once acknowledged. */
  private async sendWithRetries(outgoing: readonly Outgoing[]): Promise<void> {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < outgoing.length; i += 1) {
      const size = outgoing[i]!.bytes;
      if (i > start && bytes + size > this.maxBatchBytes) {
        await this.publishAndCheckpoint(outgoing.slice(start, i));
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    await this.publishAndCheckpoint(start === 0 ? outgoing : outgoing.slice(start));
  }

  /** Publishes the chunk (retrying until the bus acknowledges it), then moves the checkpoint to its last event. */
  private async publishAndCheckpoint(chunk: readonly Outgoing[]): Promise<void> {
    const byTopic = new Map<string, BusMessage[]>();
    for (const { topic, message } of chunk) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    const last = chunk.at(-1)!.position;
    let delay = this.retryMs;
    for (let attempt = 1; ; attempt += 1) {
      if (this.stopped) throw new Stopping();
      try {
        // a stream belongs to one category: topics are independent, order per key is within one
        await Promise.all([...byTopic].map(([topic, messages]) => this.options.bus.publish(topic, messages)));
        break;
      } catch (error) {
        if (this.state !== 'broker_unavailable' || attempt % 10 === 0) {
          this.log.warn({ err: error, attempt, position: chunk[0]!.position.toString() }, 'relay could not publish; retrying');
        }
        this.state = 'broker_unavailable';
        await this.pause.sleep(delay);
        delay = Math.min(delay * 2, this.maxRetryMs);
      }
    }
    if (this.state === 'broker_unavailable') this.log.info('relay publishes again');
    this.state = 'running';
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (!(await advanceRelayCheckpoint(this.options.pool, this.name, this.checkpointValue, last))) throw new LeadershipLost();
        break;
      } catch (error) {
        if (error instanceof LeadershipLost || this.stopped) throw error;
        this.log.warn({ err: error, attempt }, 'relay could not save its checkpoint; retrying');
        await this.pause.sleep(Math.min(this.retryMs * 2 ** attempt, this.maxRetryMs));
      }
    }
    this.checkpointValue = last;
    this.published += chunk.length;
  }
}

/** Bytes a message takes on the wire, near enough: key, value and headers. */
function sizeOf(message: BusMessage): number {
  let size = Buffer.byteLength(message.key) + Buffer.byteLength(message.value);
  for (const name in message.headers) size += name.length + Buffer.byteLength(message.headers[name]!);
  return size;
}

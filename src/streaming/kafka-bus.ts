import { randomUUID } from 'node:crypto';
import { type Admin, type IHeaders, Kafka, type Message, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from '../platform/logger';
import type { BusMessage, ConsumedMessage, ConsumeOptions, Consumer, MessageBus } from './bus';
import { ThreadedProducer } from './kafka-producer-thread';

export interface KafkaBusOptions {
  brokers: string[];
  /** kafkajs client id (default `postledger`). */
  clientId?: string;
  /** Partitions of a topic this bus creates when missing (default 6; replication factor: the broker's default). */
  partitions?: number;
  /** Delay before a rejected message is handed to its handler again: doubles from `retryMs` up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** How long `consume` waits for the consumer to join its group before resolving anyway (default 30 s). */
  joinTimeoutMs?: number;
  logger?: Logger;
  /** Told of each rejection (the message is retried). */
  onHandlerError?: (error: unknown, message: ConsumedMessage) => void;
}

/**
 * kafkajs's retries, capped at 5 s apart: after an outage the clients come back within seconds
 * of the broker, and a publish fails within ≈ 10 s (the relay then retries it itself).
 */
const RETRY = { initialRetryTime: 200, maxRetryTime: 5000, retries: 5 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** kafkajs log levels to pino's; kafkajs's ERROR during an outage is its retry noise: a warning. */
function logCreator(logger: Logger | undefined) {
  return () =>
    ({ level, log }: LogEntry) => {
      if (!logger) return;
      const { message, ...rest } = log;
      const fields = { kafkajs: rest };
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(fields, `kafkajs: ${message}`);
      else logger.debug(fields, `kafkajs: ${message}`);
    };
}

/**
 * The message bus on Apache Kafka (kafkajs).
 *
 * - Producer: on a thread of its own ({@link ThreadedProducer}); idempotent, `acks: -1` (all in-sync replicas), one request in flight, so a
 *   retried send cannot reorder or duplicate within a partition; keys are partitioned by
 *   Kafka's default partitioner (murmur2), like the Java clients ({@link keyPartitioner}).
 * - Topics are created on first use when missing, with `partitions` partitions.
 * - A consumer with a group commits a message's offset only after its handler resolved; a
 *   rejected message is retried in place (heartbeats continue) until it succeeds or the
 *   consumer stops. A new group without `fromBeginning` starts at the end of each partition
 *   (as kafkajs finds it at its first fetch).
 * - A consumer without a group gets a group of its own (`<clientId>-solo-<uuid>`, deleted when
 *   it stops), so it reads every partition; each process sees every message. Without
 *   `fromBeginning` it starts at the ends of the partitions as they were when `consume` was called.
 *
 * ```ts
 * const bus = new KafkaBus({ brokers: ['127.0.0.1:9092'], logger });
 * await bus.publish('postledger.post', [{ key: 'post-1', value: '{"type":"PostDrafted"}', headers: {} }]);
 * const consumer = await bus.consume({ topics: ['postledger.post'], groupId: 'mailer', handle: async (m) => send(m) });
 * await consumer.stop();
 * await bus.close();
 * ```
 */
export class KafkaBus implements MessageBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly clientId: string;
  private readonly partitions: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly joinTimeoutMs: number;
  private readonly producer: ThreadedProducer;
  private admin?: Promise<Admin>;
  /** Topics known to exist (created or seen), so `publish` asks the cluster once per topic. */
  private readonly known = new Map<string, Promise<void>>();
  private readonly consumers = new Set<Consumer>();
  /** Publishes waiting for the request in flight to end. */
  private readonly queued: { topic: string; messages: readonly BusMessage[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private inFlight: Promise<void> | undefined;
  private sendScheduled = false;
  private producerStarted = false;
  private closed = false;

  constructor(private readonly options: KafkaBusOptions) {
    this.clientId = options.clientId ?? 'postledger';
    this.partitions = options.partitions ?? 6;
    this.retryMs = options.retryMs ?? 100;
    this.maxRetryMs = options.maxRetryMs ?? 10_000;
    this.joinTimeoutMs = options.joinTimeoutMs ?? 30_000;
    this.kafka = new Kafka({
      clientId: this.clientId,
      brokers: options.brokers,
      connectionTimeout: 3000,
      logLevel: logLevel.WARN,
      logCreator: logCreator(options.logger),
    });
    this.producer = new ThreadedProducer({ brokers: options.brokers, clientId: this.clientId, connectionTimeout: 3000, retry: RETRY }, options.logger);
  }

  /**
   * Resolves once the broker acknowledged every message (acks -1); rejects after kafkajs's
   * retries. Publishes made in the same turn, or while a request is in flight, go together in
   * one request (one produce request for all their topics), in the order they were made.
   */
  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) throw new Error('the message bus is closed');
    if (messages.length === 0) return;
    // the producer's thread starts and connects while the topic is looked up
    if (!this.producerStarted) {
      this.producerStarted = true;
      this.producer.connect().catch(() => undefined);
    }
    await this.ensureTopic(topic);
    await new Promise<void>((resolve, reject) => {
      this.queued.push({ topic, messages, resolve, reject });
      this.scheduleSend();
    });
  }

  /**
   * Sends at the end of this turn: publishes made together (the relay publishes each topic of
   * a batch at once) go in one request rather than the first alone and the rest after its ack.
   */
  private scheduleSend(): void {
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    queueMicrotask(() => {
      this.sendScheduled = false;
      this.sendQueued();
    });
  }

  /** Sends what is queued as one request, unless one is in flight (it sends the rest when done). */
  private sendQueued(): void {
    if (this.inFlight || this.queued.length === 0) return;
    const entries = this.queued.splice(0);
    const byTopic = new Map<string, Message[]>();
    for (const { topic, messages } of entries) {
      // a BusMessage is a kafkajs Message as it is (kafkajs copies what it changes)
      const list = byTopic.get(topic);
      if (list) for (const m of messages) list.push(m);
      else byTopic.set(topic, messages.slice());
    }
    this.inFlight = this.producer
      .send([...byTopic].map(([topic, messages]) => ({ topic, messages })))
      .then(
        () => {
          for (const entry of entries) entry.resolve();
        },
        (error: unknown) => {
          // what was queued behind a failed request fails too: sent alone it could overtake it
          for (const entry of [...entries, ...this.queued.splice(0)]) entry.reject(error);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        this.sendQueued();
      });
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw new Error('the message bus is closed');
    const ownGroup = options.groupId === undefined;
    const groupId = options.groupId ?? `${this.clientId}-solo-${randomUUID()}`;
    for (const topic of options.topics) await this.ensureTopic(topic);
    // a consumer of its own starts exactly at the ends as they are now (kafkajs would take them at its first fetch)
    const startAt = ownGroup && !options.fromBeginning ? await this.ends(options.topics) : [];

    // a short fetch wait: `stop` waits for the fetch in flight; a 10 s session: after a broker
    // restart the group forgets a member that vanished within 10 s, not 30 (kafkajs's default)
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000, retry: RETRY });
    let stopping = false;
    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
      setTimeout(resolve, this.joinTimeoutMs).unref();
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
      await consumer.run({
        eachMessage: async ({ topic, partition, message, heartbeat }) => {
          const consumed: ConsumedMessage = {
            topic,
            partition,
            offset: message.offset,
            key: message.key?.toString('utf8') ?? '',
            value: message.value?.toString('utf8') ?? '',
            headers: headersOf(message.headers),
          };
          await this.handleUntilDone(consumed, options.handle, heartbeat, () => stopping);
        },
      });
      for (const position of startAt) consumer.seek(position);
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    await joined;

    const handle: Consumer = {
      stop: async () => {
        if (stopping) return;
        stopping = true;
        this.consumers.delete(handle);
        await consumer.disconnect();
        if (ownGroup) await (await this.connectedAdmin()).deleteGroups([groupId]).catch(() => undefined);
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  /** Stops every consumer, then disconnects the producer and the admin client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    const admin = this.admin;
    this.admin = undefined;
    await Promise.allSettled([this.producer.close(), admin?.then((a) => a.disconnect())]);
  }

  /** Creates the topic with the configured partitions if it does not exist; asked once per topic unless it fails. */
  private ensureTopic(topic: string): Promise<void> {
    let known = this.known.get(topic);
    if (!known) {
      known = this.connectedAdmin()
        .then((admin) => admin.createTopics({ topics: [{ topic, numPartitions: this.partitions }], waitForLeaders: true }))
        .then(() => undefined);
      this.known.set(topic, known);
      known.catch(() => this.known.delete(topic));
    }
    return known;
  }

  /** The current end of every partition of the topics. */
  private async ends(topics: readonly string[]): Promise<{ topic: string; partition: number; offset: string }[]> {
    const admin = await this.connectedAdmin();
    const ends = await Promise.all(
      topics.map(async (topic) => (await admin.fetchTopicOffsets(topic)).map((p) => ({ topic, partition: p.partition, offset: p.high }))),
    );
    return ends.flat();
  }

  private async handleUntilDone(
    message: ConsumedMessage,
    handle: (message: ConsumedMessage) => Promise<void>,
    heartbeat: () => Promise<void>,
    stopping: () => boolean,
  ): Promise<void> {
    let delay = this.retryMs;
    for (;;) {
      try {
        await handle(message);
        return;
      } catch (error) {
        this.options.onHandlerError?.(error, message);
        // throwing leaves the offset uncommitted: the group's next member gets this message
        if (stopping() || this.closed) throw error;
        await sleep(delay);
        delay = Math.min(delay * 2, this.maxRetryMs);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const connected = admin.connect().then(() => admin);
      this.admin = connected;
      connected.catch(() => {
        if (this.admin === connected) this.admin = undefined;
      });
    }
    return this.admin;
  }
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[name] = last.toString();
  }
  return result;
}

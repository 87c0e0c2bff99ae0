/**
 * What both reference workers share: reading Postledger's event topics (the relay's envelopes
 * with CloudEvents headers) and answering on an inbound topic with an idempotent producer.
 * Self-contained on purpose: a team copies these files, not Postledger's source.
 */
import { Kafka, KafkaJSProtocolError, logLevel, Partitioners, type Consumer, type IHeaders } from 'kafkajs';

/** An event as the relay publishes it: the value of every `postledger.<category>` message. */
export interface Envelope<Data> {
  id: string;
  type: string;
  streamId: string;
  occurredAt: string;
  data: Data;
  metadata: { workspaceId?: string; correlationId?: string; [key: string]: unknown };
}

/** A message to send on an inbound topic; `key` is the aggregate's id (order per aggregate). */
export interface Answer {
  key: string;
  payload: object;
  /** Copied from the request's metadata, so the answer's events join the request's correlation. */
  correlationId?: string;
}

export interface WorkerOptions {
  /** `host:port` of the brokers, e.g. from KAFKA_BROKERS. */
  brokers: string[];
  /** The worker's consumer group: instances of one worker share it and split the partitions. */
  groupId: string;
  /** With no committed offset for the group, start at the topic's beginning (default: only new requests). */
  fromBeginning?: boolean;
  /** Which requests this worker answers (default: all); e.g. a worker that serves some workspaces only. */
  accept?: (envelope: Envelope<unknown>) => boolean;
  /** Called with each answer once the broker acknowledged it (for logs and tests). */
  onAnswer?: (answer: Answer) => void;
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** The string value of a header (kafkajs gives Buffers). */
export function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/**
 * Consumes `topic`, turns each envelope of `eventType` into an answer and sends it on
 * `answerTopic`. The offset of a request is committed only after its answer was acknowledged,
 * so a crash can answer twice but never not at all; Postledger ignores a repeated answer.
 */
export async function runWorker(
  name: string,
  options: WorkerOptions,
  route: { topic: string; eventType: string; answerTopic: string; answer(envelope: Envelope<unknown>): Answer | undefined },
): Promise<RunningWorker> {
  const kafka = new Kafka({ clientId: name, brokers: options.brokers, logLevel: logLevel.WARN });
  // idempotent: a retried send is written once
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: options.groupId });
  // started means ready: the consumer has joined its group and has its partitions
  const joined = new Promise<void>((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      resolve();
    });
  });
  await producer.connect();
  try {
    await consumer.connect();
    await subscribeOnceCreated(consumer, route.topic, options.fromBeginning ?? false, name);
    await consumer.run({
      eachMessage: async ({ message }) => {
        // the CloudEvents type header says what the event is without parsing the value
        if (header(message.headers, 'ce_type') !== route.eventType || message.value === null) return;
        let envelope: Envelope<unknown>;
        try {
          envelope = JSON.parse(message.value.toString()) as Envelope<unknown>;
        } catch {
          console.error(`${name}: skipping a value that is not JSON at ${route.topic} offset ${message.offset}`);
          return;
        }
        if (options.accept && !options.accept(envelope)) return;
        const answer = route.answer(envelope);
        if (answer === undefined) return;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (answer.correlationId !== undefined) headers['correlation-id'] = answer.correlationId;
        await producer.send({ topic: route.answerTopic, acks: -1, messages: [{ key: answer.key, value: JSON.stringify(answer.payload), headers }] });
        options.onAnswer?.(answer);
      },
    });
    await joined;
  } catch (error) {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    throw error;
  }
  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

/** Postledger's relay creates its topics on first use: until then, wait for the topic rather than fail. */
async function subscribeOnceCreated(consumer: Consumer, topic: string, fromBeginning: boolean, name: string): Promise<void> {
  for (let waited = false; ; waited = true) {
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning });
      return;
    } catch (error) {
      if (!(error instanceof KafkaJSProtocolError) || error.type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
      if (!waited) console.error(`${name}: waiting for ${topic} to be created`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** `KAFKA_BROKERS` as a list, for the workers' command lines. */
export function brokersFromEnv(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim());
}

import type { MessagePort } from 'node:worker_threads';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
// before kafkajs: on the producer's thread its protocol modules then load the faster Encoder
import './kafkajs-fast-encoder';
import { Kafka, type LogEntry, logLevel, type Producer, type RetryOptions, type TopicMessages } from 'kafkajs';
import type { Logger } from '../platform/logger';
import { keyPartitioner } from './partitioning';

/** What the producer's thread needs to connect: plain data (it crosses to the thread). */
export interface ProducerSettings {
  brokers: string[];
  clientId: string;
  connectionTimeout: number;
  retry: RetryOptions;
}

/** A failed send as it comes back from the thread (kafkajs's error classes do not cross threads). */
export class ProducerError extends Error {
  constructor(
    message: string,
    readonly kafkaName: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'ProducerError';
  }
}

type Request = { kind: 'send'; id: number; topicMessages: TopicMessages[] } | { kind: 'connect'; id: number } | { kind: 'close'; id: number };
type Reply =
  | { kind: 'done'; id: number }
  | { kind: 'failed'; id: number; error: { name: string; message: string; retriable: boolean } }
  | { kind: 'log'; warn: boolean; message: string; fields: Record<string, unknown> };

const THREAD = 'postledger-kafka-producer';

/**
 * The thread's side: an idempotent kafkajs producer (acks -1, one request in flight) that sends
 * what `port` asks, one request after the other, and answers each. Connects on the first send
 * and again after a failed connect. Its log lines go back to the caller's logger.
 */
export function serveProducer(port: MessagePort, settings: ProducerSettings): void {
  const post = (reply: Reply) => port.postMessage(reply);
  const kafka = new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: settings.connectionTimeout,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...fields } = log;
        post({ kind: 'log', warn: level === logLevel.ERROR || level === logLevel.WARN, message, fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown> });
      },
  });
  let producer: Promise<Producer> | undefined;
  const connected = (): Promise<Producer> => {
    if (!producer) {
      const created = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: settings.retry, createPartitioner: keyPartitioner });
      const connecting = created.connect().then(() => created);
      producer = connecting;
      connecting.catch(() => {
        if (producer === connecting) producer = undefined;
      });
    }
    return producer;
  };
  port.on('message', (request: Request) => {
    if (request.kind === 'close') {
      const closing = producer;
      producer = undefined;
      void (closing?.then((p) => p.disconnect()) ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => {
          post({ kind: 'done', id: request.id });
          port.close();
        });
      return;
    }
    // a bad setting throws at once: answered as a failed send too, not left to kill the thread
    Promise.resolve()
      .then(connected)
      .then((p) => (request.kind === 'send' ? p.sendBatch({ acks: -1, topicMessages: request.topicMessages }) : undefined))
      .then(
        () => post({ kind: 'done', id: request.id }),
        (error: unknown) => {
          const { name = 'Error', message = String(error), retriable = false } = error as { name?: string; message?: string; retriable?: boolean };
          post({ kind: 'failed', id: request.id, error: { name, message, retriable } });
        },
      );
  });
}

/**
 * The caller's side: a kafkajs producer on a thread of its own. kafkajs's encoding of a
 * record (a fresh zero-filled buffer per record and per header, BigInt arithmetic) costs more
 * than everything else the relay does per event; on its own thread it runs beside the relay's
 * reading and the building of the next batch, on another core.
 *
 * Sends are answered in order; the thread is started on the first send and again after it died.
 *
 * ```ts
 * const producer = new ThreadedProducer({ brokers, clientId: 'postledger', connectionTimeout: 3000, retry }, logger);
 * await producer.send([{ topic: 'postledger.post', messages: [{ key: 'post-1', value: '{}' }] }]);
 * await producer.close();
 * ```
 */
export class ThreadedProducer {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(
    private readonly settings: ProducerSettings,
    private readonly logger?: Logger,
  ) {}

  /** Resolves once the broker acknowledged every message (acks -1); rejects after kafkajs's retries. */
  send(topicMessages: TopicMessages[]): Promise<void> {
    return this.request((id) => ({ kind: 'send', id, topicMessages }));
  }

  /** Starts the thread and connects the producer now rather than at the first send. */
  connect(): Promise<void> {
    return this.request((id) => ({ kind: 'connect', id }));
  }

  /** Disconnects the producer and ends the thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await this.request((id) => ({ kind: 'close', id })).catch(() => undefined);
    this.worker = undefined;
    await worker.terminate();
  }

  private request(make: (id: number) => Request): Promise<void> {
    const worker = this.started();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // the thread keeps the process alive only while something waits for it
      if (this.pending.size === 1) worker.ref();
      worker.postMessage(make(id));
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = startThread(this.settings);
    worker.on('message', (reply: Reply) => {
      if (reply.kind === 'log') {
        if (reply.warn) this.logger?.warn({ kafkajs: reply.fields }, `kafkajs: ${reply.message}`);
        else this.logger?.debug({ kafkajs: reply.fields }, `kafkajs: ${reply.message}`);
        return;
      }
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.kind === 'done') waiting?.resolve();
      else waiting?.reject(new ProducerError(reply.error.message, reply.error.name, reply.error.retriable));
    });
    const ended = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', ended);
    worker.on('exit', (code) => ended(new Error(`the Kafka producer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/**
 * This module on a new thread. From TypeScript sources (tsx, jest) the thread registers tsx
 * first; compiled, it loads the .js file.
 */
function startThread(settings: ProducerSettings): Worker {
  const data = { thread: THREAD, settings };
  if (__filename.endsWith('.js')) return new Worker(__filename, { workerData: data });
  const source = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(__filename)});`;
  return new Worker(source, { eval: true, workerData: data });
}

if (!isMainThread && parentPort && (workerData as { thread?: string } | undefined)?.thread === THREAD) {
  serveProducer(parentPort, (workerData as { settings: ProducerSettings }).settings);
}

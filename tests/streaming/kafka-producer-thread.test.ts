import { randomUUID } from 'node:crypto';
import { MessageChannel } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger } from '../../src/platform/logger';
import { ProducerError, type ProducerSettings, serveProducer, ThreadedProducer } from '../../src/streaming/kafka-producer-thread';

// .ci/run starts a broker (scripts/kafka-broker.sh) and sets KAFKA_BROKERS; without one these skip.
const brokers = process.env.KAFKA_BROKERS?.split(',');
const describeIf = brokers ? describe : describe.skip;

const settings = (overrides: Partial<ProducerSettings> = {}): ProducerSettings => ({
  brokers: brokers ?? [],
  clientId: 'test-producer-thread',
  connectionTimeout: 3000,
  retry: { initialRetryTime: 50, maxRetryTime: 200, retries: 1 },
  ...overrides,
});

/** Every message of `topic` from the beginning, as `key=value`, once `count` have arrived. */
async function readTopic(topic: string, count: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers: brokers!, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.key?.toString()}=${message.value?.toString()}`) });
    const deadline = Date.now() + 20_000;
    while (seen.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

async function createTopic(topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'test-admin', brokers: brokers!, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

describeIf(`ThreadedProducer${brokers ? '' : ' (skipped: KAFKA_BROKERS is not set)'}`, () => {
  it('sends from its thread: every message arrives, in order, with its headers', async () => {
    const topic = `test.thread.${randomUUID().slice(0, 8)}`;
    await createTopic(topic);
    const producer = new ThreadedProducer(settings());
    try {
      await producer.send([{ topic, messages: [{ key: 'k', value: 'a', headers: { h: '1' } }] }]);
      await producer.send([{ topic, messages: [{ key: 'k', value: 'b' }, { key: 'k', value: 'c' }] }]);
    } finally {
      await producer.close();
    }
    expect(await readTopic(topic, 3)).toEqual(['k=a', 'k=b', 'k=c']);
  });

  it("rejects with kafkajs's error name and whether it is retriable, and forwards kafkajs's log lines", async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const producer = new ThreadedProducer(settings({ brokers: ['127.0.0.1:1'], connectionTimeout: 200, retry: { initialRetryTime: 10, retries: 1 } }), logger);
    try {
      const failure = await producer.send([{ topic: 'test.never', messages: [{ key: 'k', value: 'v' }] }]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProducerError);
      expect((failure as ProducerError).kafkaName).toMatch(/^KafkaJS/);
      expect(typeof (failure as ProducerError).retriable).toBe('boolean');
      expect(lines.some((line) => line.includes('kafkajs: '))).toBe(true);
    } finally {
      await producer.close();
    }
  });

  it('fails what was waiting when its thread dies, and starts a new thread for the next send', async () => {
    const topic = `test.thread.${randomUUID().slice(0, 8)}`;
    await createTopic(topic);
    const producer = new ThreadedProducer(settings());
    try {
      await producer.send([{ topic, messages: [{ key: 'k', value: 'before' }] }]);
      const waiting = producer.send([{ topic, messages: [{ key: 'k', value: 'lost' }] }]);
      await producer['worker']!.terminate();
      await expect(waiting).rejects.toThrow(/thread exited/);
      await producer.send([{ topic, messages: [{ key: 'k', value: 'after' }] }]);
    } finally {
      await producer.close();
    }
    const seen = await readTopic(topic, 2);
    expect(seen[0]).toBe('k=before');
    expect(seen.at(-1)).toBe('k=after');
  });

  it('serves sends and a close over any message port (the code its thread runs)', async () => {
    const topic = `test.thread.${randomUUID().slice(0, 8)}`;
    await createTopic(topic);
    const { port1, port2 } = new MessageChannel();
    serveProducer(port2, settings());
    const replies: unknown[] = [];
    const reply = () =>
      new Promise<void>((resolve) => {
        const onMessage = (message: { kind: string }) => {
          if (message.kind === 'log') return;
          replies.push(message);
          port1.off('message', onMessage);
          resolve();
        };
        port1.on('message', onMessage);
      });
    let answered = reply();
    port1.postMessage({ kind: 'send', id: 1, topicMessages: [{ topic, messages: [{ key: 'k', value: 'v' }] }] });
    await answered;
    answered = reply();
    port1.postMessage({ kind: 'send', id: 2, topicMessages: [{ topic: '', messages: [] }] });
    await answered;
    answered = reply();
    port1.postMessage({ kind: 'close', id: 3 });
    await answered;
    port1.close();
    expect(replies).toEqual([
      { kind: 'done', id: 1 },
      { kind: 'failed', id: 2, error: expect.objectContaining({ name: expect.stringMatching(/^KafkaJS/), retriable: false }) },
      { kind: 'done', id: 3 },
    ]);
    expect(await readTopic(topic, 1)).toEqual(['k=v']);
  });
});

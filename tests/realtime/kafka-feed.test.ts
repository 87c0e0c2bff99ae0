import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../../src/eventstore/port';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { createLogger } from '../../src/platform/logger';
import type { FeedEvent } from '../../src/realtime/feed';
import { KafkaFeed } from '../../src/realtime/kafka-feed';
import { parseEnvelope } from '../../src/realtime/envelope';
import { KafkaBus } from '../../src/streaming/kafka-bus';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unusedPort } from '../support/ports';
import { eventually } from './support';

// .ci/run starts a broker and sets KAFKA_BROKERS; without one the tests that need it skip.
const brokers = process.env.KAFKA_BROKERS?.split(',');
const withKafka = brokers ? describe : describe.skip;
const logger = createLogger('silent');

/** As the relay publishes: key = stream id, value = the envelope with positions as strings. */
function envelopeJson(event: RecordedEvent): string {
  return JSON.stringify({ ...event, revision: event.revision.toString(), position: event.position.toString() });
}

async function appendMixed(store: PostgresEventStore, count: number): Promise<RecordedEvent[]> {
  const categories = ['post', 'comment', 'account'];
  for (let i = 0; i < count; i += 1) {
    await store.appendToStream(`${categories[i % 3]}-${randomUUID()}`, [{ id: randomUUID(), type: 'Something', data: { i }, metadata: { workspaceId: 'w' } }]);
  }
  return store.readAll({ after: (await store.headPosition())! - BigInt(count), maxCount: count });
}

describe('Kafka feed', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('rtk');
    store = new PostgresEventStore({ connection: db.connection, pollIntervalMs: 60_000 });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('reads envelopes as the relay writes them, and nothing else', () => {
    const event: RecordedEvent = { id: 'e', type: 'T', schemaVersion: 2, streamId: 'post-1', revision: 3n, position: 42n, occurredAt: new Date(), data: { a: 1 }, metadata: { workspaceId: 'w' } };
    expect(parseEnvelope(envelopeJson(event))).toEqual(event);
    expect(parseEnvelope(JSON.stringify({ ...event, position: 42, revision: 3, metadata: undefined, schemaVersion: undefined }))).toMatchObject({ position: 42n, metadata: {}, schemaVersion: 1 });
    const plain = JSON.parse(envelopeJson(event)) as Record<string, unknown>;
    for (const bad of ['x', '[]', JSON.stringify({ ...plain, position: '-1' }), JSON.stringify({ ...plain, occurredAt: 'soon' }), JSON.stringify({ ...plain, metadata: [] })]) {
      expect(parseEnvelope(bad)).toBeUndefined();
    }
  });

  it('keeps handing over every event in order from the log while Kafka cannot be reached', async () => {
    const bus = new KafkaBus({ brokers: [`127.0.0.1:${await unusedPort()}`] });
    const warnings: string[] = [];
    const captured = createLogger('warn', { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
    const feed = new KafkaFeed({ bus, store, logger: captured, stallCheckMs: 50, retryMs: 60_000, onStop: () => bus.close() });
    const seen: FeedEvent[] = [];
    await feed.start((event) => seen.push(event));
    const appended = await appendMixed(store, 12);
    await eventually('every event from the log', () => seen.length === 12);
    expect(seen.map((e) => e.position)).toEqual(appended.map((e) => e.position));
    expect(feed.position).toBe(appended.at(-1)!.position);
    // the client gives up on the broker after its own retries; the feed says so and tries again later
    await eventually('the warning', () => warnings.includes('realtime feed: cannot consume from Kafka yet; the log covers meanwhile'), 30_000);
    await feed.stop();
  });

  withKafka('with a broker', () => {
    const prefix = `test-rt-${randomUUID().slice(0, 8)}.`;
    const topicOf = (category: string) => `${prefix}${category}`;
    let publisher: KafkaBus;

    beforeAll(() => {
      publisher = new KafkaBus({ brokers: brokers!, partitions: 3 });
    });
    afterAll(() => publisher.close());

    async function publish(events: readonly RecordedEvent[]): Promise<void> {
      for (const event of events) {
        await publisher.publish(topicOf(event.streamId.split('-')[0]!), [{ key: event.streamId, value: envelopeJson(event), headers: {} }]);
      }
    }

    it('hands every event over once and in position order in each of two processes, however partitions interleave', async () => {
      const feeds = [0, 1].map(() => {
        const bus = new KafkaBus({ brokers: brokers!, partitions: 3 });
        // no stall check here: what arrives comes from Kafka (and the gap filling)
        return new KafkaFeed({ bus, store, logger, topicOf, stallCheckMs: 3_600_000, onStop: () => bus.close() });
      });
      const seen: bigint[][] = [[], []];
      await Promise.all(feeds.map((feed, i) => feed.start((event) => seen[i]!.push(event.position))));
      await eventually('both consumers running', () => feeds.every((f) => (f as unknown as { consumer?: unknown }).consumer !== undefined), 30_000);
      const appended = await appendMixed(store, 30);
      // published newest first: every partition delivers out of position order
      await publish([...appended].reverse());
      for (const positions of seen) await eventually('every event', () => positions.length === 30, 30_000);
      for (const positions of seen) expect(positions).toEqual(appended.map((e) => e.position));
      await Promise.all(feeds.map((feed) => feed.stop()));
    });

    it('reads from the log the events Kafka does not carry', async () => {
      const bus = new KafkaBus({ brokers: brokers!, partitions: 3 });
      const feed = new KafkaFeed({ bus, store, logger, topicOf, stallCheckMs: 3_600_000, gapWaitMs: 20, onStop: () => bus.close() });
      const seen: bigint[] = [];
      await feed.start((event) => seen.push(event.position));
      await eventually('the consumer running', () => (feed as unknown as { consumer?: unknown }).consumer !== undefined, 30_000);
      const appended = await appendMixed(store, 10);
      await publish(appended.filter((_, i) => i % 2 === 1));
      await eventually('every event', () => seen.length === 10, 30_000);
      expect(seen).toEqual(appended.map((e) => e.position));
      await feed.stop();
    });
  });
});

import { Registry } from 'prom-client';
import { createLogger } from '../../src/platform/logger';
import { migrate } from '../../src/platform/migrations';
import type { ConsumedMessage, MessageBus } from '../../src/streaming/bus';
import { InProcessBus } from '../../src/streaming/in-process-bus';
import { KafkaBus } from '../../src/streaming/kafka-bus';
import { Relay } from '../../src/streaming/relay';
import { readRelayCheckpoint, relayMigrations } from '../../src/streaming/relay-checkpoint';
import { registerRelayMetrics } from '../../src/streaming/relay-metrics';
import { toOutboundMessage } from '../../src/streaming/relay-message';
import { startTestApi, type TestApi } from '../support/api';
import { until } from './bus-contract';
import { appendRounds, expectEveryEventInOrderPerKey, freshCategory, recordTopic, type RelayLog, relayLog } from './relay-support';

const logger = createLogger('silent');
const brokers = process.env.KAFKA_BROKERS?.split(',');

describe('toOutboundMessage', () => {
  it('puts the envelope as JSON on postledger.<category>, keyed by stream id, with CloudEvents headers', () => {
    const occurredAt = new Date('2026-01-02T03:04:05.678Z');
    const { topic, message } = toOutboundMessage({
      id: '0d5c6a1e-7c1b-4a52-9a53-0f6f3c2a9b10',
      type: 'PostScheduled',
      schemaVersion: 2,
      streamId: 'post-42',
      revision: 3n,
      position: 9007199254740993n,
      occurredAt,
      data: { at: '2026-02-01T00:00:00.000Z' },
      metadata: { workspaceId: 'w-1', actor: { type: 'user', id: 'u-1' } },
    });
    expect(topic).toBe('postledger.post');
    expect(message.key).toBe('post-42');
    expect(JSON.parse(message.value)).toEqual({
      id: '0d5c6a1e-7c1b-4a52-9a53-0f6f3c2a9b10',
      type: 'PostScheduled',
      schemaVersion: 2,
      streamId: 'post-42',
      revision: '3',
      // beyond 2^53: kept exact as a string
      position: '9007199254740993',
      occurredAt: '2026-01-02T03:04:05.678Z',
      data: { at: '2026-02-01T00:00:00.000Z' },
      metadata: { workspaceId: 'w-1', actor: { type: 'user', id: 'u-1' } },
    });
    expect(message.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: '0d5c6a1e-7c1b-4a52-9a53-0f6f3c2a9b10',
      ce_type: 'PostScheduled',
      ce_source: '/postledger',
      ce_subject: 'post-42',
      ce_time: '2026-01-02T03:04:05.678Z',
      'content-type': 'application/json',
      ce_position: '9007199254740993',
      ce_revision: '3',
    });
  });
});

const buses: [string, (() => MessageBus) | undefined][] = [
  ['in-process bus', () => new InProcessBus({ partitions: 3 })],
  ['Kafka bus', brokers && (() => new KafkaBus({ brokers, partitions: 3 }))],
];

describe.each(buses)('Relay on the %s', (name, createBus) => {
  const run = createBus ? it : it.skip;
  const skipped = createBus ? '' : ' (skipped: KAFKA_BROKERS is not set; `npm run kafka` starts a broker)';
  let log: RelayLog;
  let bus: MessageBus;
  const relays: Relay[] = [];
  const relayOn = (options: { batchSize?: number } = {}) => {
    const relay = new Relay({ store: log.store, bus, pool: log.pool, lockConnection: log.database.connection, logger, retryMs: 20, ...options });
    relays.push(relay);
    return relay;
  };

  beforeEach(async () => {
    if (!createBus) return;
    log = await relayLog();
    bus = createBus();
  });
  afterEach(async () => {
    if (!createBus) return;
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await bus.close();
    await log.close();
  });

  run(`publishes every event in order per key and moves its checkpoint only after the acknowledgement${skipped}`, async () => {
    const category = freshCategory();
    await appendRounds(log.store, category, 4, 30);
    const recorder = await recordTopic(bus, `postledger.${category}`);
    const relay = relayOn({ batchSize: 25 });
    relay.start();
    await until(() => recorder.received.length >= 120, '120 messages');
    const events = await log.store.readAll();
    expect(expectEveryEventInOrderPerKey(recorder.received, events)).toBe(0);
    await until(() => relay.status.checkpoint === events.at(-1)!.position, 'the checkpoint at the last event');
    expect((await readRelayCheckpoint(log.pool, 'outbound'))?.position).toBe(events.at(-1)!.position);
    expect(relay.status).toMatchObject({ state: 'running', published: 120 });
  });

  run(`resumes from its checkpoint after a clean stop: nothing lost, nothing twice${skipped}`, async () => {
    const category = freshCategory();
    const recorder = await recordTopic(bus, `postledger.${category}`);
    const first = relayOn({ batchSize: 10 });
    first.start();
    await appendRounds(log.store, category, 3, 10);
    await until(() => recorder.received.length === 30, 'the first 30 messages');
    await first.stop();
    expect(first.status.state).toBe('stopped');
    await appendRounds(log.store, category, 3, 10, 10);
    const second = relayOn({ batchSize: 10 });
    second.start();
    await until(() => recorder.received.length >= 60, '60 messages');
    expect(expectEveryEventInOrderPerKey(recorder.received, await log.store.readAll())).toBe(0);
  });

  run(`runs one active relay: a second one waits, and takes over when the first stops${skipped}`, async () => {
    const category = freshCategory();
    const recorder = await recordTopic(bus, `postledger.${category}`);
    const a = relayOn();
    const b = relayOn();
    a.start();
    await until(() => a.status.state === 'running', 'the first relay to lead');
    b.start();
    await appendRounds(log.store, category, 2, 10);
    await until(() => recorder.received.length === 20, '20 messages');
    expect(b.status.state).toBe('standby');
    await a.stop();
    await appendRounds(log.store, category, 2, 10, 10);
    await until(() => recorder.received.length >= 40, '40 messages');
    expect(b.status.state).toBe('running');
    expect(expectEveryEventInOrderPerKey(recorder.received, await log.store.readAll())).toBe(0);
  });

  run(`shows its lag in events and seconds, and its state, in the metrics${skipped}`, async () => {
    const registry = new Registry();
    const relay = relayOn();
    registerRelayMetrics(registry, { relay, store: log.store, pool: log.pool });
    const category = freshCategory();
    await appendRounds(log.store, category, 1, 5);
    const before = await registry.metrics();
    expect(before).toMatch(/^relay_lag_events 5$/m);
    expect(Number(/^relay_lag_seconds (\S+)$/m.exec(before)![1])).toBeGreaterThanOrEqual(0);
    expect(before).toMatch(/^relay_state\{state="standby"\} 1$/m);
    relay.start();
    await until(() => relay.status.published === 5, 'five events published');
    const after = await registry.metrics();
    expect(after).toMatch(/^relay_lag_events 0$/m);
    expect(after).toMatch(/^relay_lag_seconds 0$/m);
    expect(after).toMatch(/^relay_state\{state="running"\} 1$/m);
    expect(after).toMatch(/^relay_published_events_total 5$/m);
    const head = (await log.store.headPosition())!;
    expect(after).toMatch(new RegExp(`^relay_checkpoint ${head}$`, 'm'));
  });
});

describe('Relay: request size', () => {
  let log: RelayLog;
  beforeEach(async () => (log = await relayLog()));
  afterEach(() => log.close());

  it('splits a batch into publishes of at most maxBatchBytes, in log order, checkpointing each', async () => {
    const inner = new InProcessBus();
    const publishedBytes: number[] = [];
    const checkpoints: (bigint | undefined)[] = [];
    const bus: MessageBus = {
      kind: 'in-process',
      publish: async (topic, messages) => {
        checkpoints.push((await readRelayCheckpoint(log.pool, 'outbound'))?.position);
        publishedBytes.push(messages.reduce((n, m) => n + m.value.length, 0));
        await inner.publish(topic, messages);
      },
      consume: (options) => inner.consume(options),
      close: () => inner.close(),
    };
    const category = freshCategory();
    await appendRounds(log.store, category, 1, 12);
    const recorder = await recordTopic(inner, `postledger.${category}`);
    const relay = new Relay({ store: log.store, bus, pool: log.pool, lockConnection: log.database.connection, logger, batchSize: 100, maxBatchBytes: 1500 });
    relay.start();
    await until(() => recorder.received.length === 12, '12 messages');
    await relay.stop();
    expect(expectEveryEventInOrderPerKey(recorder.received, await log.store.readAll())).toBe(0);
    // one event's envelope is a few hundred bytes: several publishes, none above the limit unless alone
    expect(publishedBytes.length).toBeGreaterThan(2);
    expect(Math.max(...publishedBytes)).toBeLessThanOrEqual(1500);
    // each publish starts from the checkpoint the previous one left
    expect(new Set(checkpoints).size).toBe(checkpoints.length);
    await inner.close();
  });
});

describe('Relay: when publishing fails', () => {
  let log: RelayLog;
  beforeEach(async () => (log = await relayLog()));
  afterEach(() => log.close());

  it('retries the same batch, shows broker_unavailable meanwhile, and loses nothing', async () => {
    const inner = new InProcessBus();
    let down = true;
    const flaky: MessageBus = {
      kind: 'in-process',
      publish: (topic, messages) => (down ? Promise.reject(new Error('broker unreachable')) : inner.publish(topic, messages)),
      consume: (options) => inner.consume(options),
      close: () => inner.close(),
    };
    const category = freshCategory();
    const recorder = await recordTopic(inner, `postledger.${category}`);
    const relay = new Relay({ store: log.store, bus: flaky, pool: log.pool, lockConnection: log.database.connection, logger, retryMs: 5, maxRetryMs: 20 });
    relay.start();
    await appendRounds(log.store, category, 2, 5);
    await until(() => relay.status.state === 'broker_unavailable', 'the relay to see the outage');
    expect((await readRelayCheckpoint(log.pool, 'outbound'))?.position).toBeUndefined();
    down = false;
    await until(() => recorder.received.length >= 10, '10 messages after the outage');
    expect(relay.status.state).toBe('running');
    expect(expectEveryEventInOrderPerKey(recorder.received, await log.store.readAll())).toBe(0);
    await relay.stop();
    await inner.close();
  });

  it('gives up a batch being retried when stopped, leaving the checkpoint where it was', async () => {
    const bus: MessageBus = {
      kind: 'in-process',
      publish: () => Promise.reject(new Error('broker unreachable')),
      consume: () => Promise.reject(new Error('unused')),
      close: async () => undefined,
    };
    await appendRounds(log.store, freshCategory(), 1, 3);
    const relay = new Relay({ store: log.store, bus, pool: log.pool, lockConnection: log.database.connection, logger, retryMs: 5 });
    relay.start();
    await until(() => relay.status.state === 'broker_unavailable', 'the relay to see the outage');
    await relay.stop();
    expect(relay.status.state).toBe('stopped');
    expect((await readRelayCheckpoint(log.pool, 'outbound'))?.position).toBeUndefined();
  });
});

describe('Relay: a command through the HTTP API', () => {
  describe.each(buses)('on the %s', (_name, createBus) => {
    const run = createBus ? it : it.skip;
    let api: TestApi;
    beforeAll(async () => {
      if (createBus) api = await startTestApi();
    });
    afterAll(async () => {
      if (createBus) await api.close();
    });

    run(`publishes the command's event on its topic with the right key, headers and value${createBus ? '' : ' (skipped: KAFKA_BROKERS is not set)'}`, async () => {
      const bus = createBus!();
      await migrate(api.pool, relayMigrations);
      // a consumer of its own, subscribed before the command: it sees this test's events and any later ones
      const received: ConsumedMessage[] = [];
      const consumer = await bus.consume({ topics: ['postledger.workspace'], handle: async (m) => void received.push(m) });
      const relay = new Relay({ store: api.store, bus, pool: api.pool, lockConnection: api.database.connection, logger });
      try {
        relay.start();
        const owner = await api.register();
        const workspaceId = await api.createWorkspace(owner, 'Relayed');
        const streamId = `workspace-${workspaceId}`;
        await until(() => received.some((m) => m.key === streamId), `the event of ${streamId}`);
        const event = (await api.events()).find((e) => e.streamId === streamId)!;
        const message = received.find((m) => m.key === streamId)!;
        expect(message.topic).toBe('postledger.workspace');
        expect(message.headers).toEqual({
          ce_specversion: '1.0',
          ce_id: event.id,
          ce_type: event.type,
          ce_source: '/postledger',
          ce_subject: streamId,
          ce_time: event.occurredAt.toISOString(),
          'content-type': 'application/json',
          ce_position: event.position.toString(),
          ce_revision: '0',
        });
        expect(JSON.parse(message.value)).toEqual({
          id: event.id,
          type: event.type,
          schemaVersion: event.schemaVersion,
          streamId,
          revision: '0',
          position: event.position.toString(),
          occurredAt: event.occurredAt.toISOString(),
          data: JSON.parse(JSON.stringify(event.data)),
          metadata: JSON.parse(JSON.stringify(event.metadata)),
        });
        expect(JSON.parse(message.value).data).toMatchObject({ name: 'Relayed' });
      } finally {
        await relay.stop();
        await consumer.stop();
        await bus.close();
      }
    });
  });
});

import { Registry } from 'prom-client';
import { CommandHandler } from '../../../src/commands/command-handler';
import { domainEventCodec } from '../../../src/commands/event-codec';
import { PostgresEventStore } from '../../../src/eventstore/postgres/store';
import { createLogger } from '../../../src/platform/logger';
import { InProcessBus } from '../../../src/streaming/in-process-bus';
import { startInboundConsumers } from '../../../src/streaming/inbound';
import { generationResults } from '../../../src/streaming/inbound/generation-results';
import { inboundHandler } from '../../../src/streaming/inbound/inbound-consumer';
import { inboundMetrics } from '../../../src/streaming/inbound/metrics';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { eventually } from './support';

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase('inb');
  store = new PostgresEventStore({ connection: database.connection });
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

describe('startInboundConsumers', () => {
  it('keeps trying to start while the bus refuses, without holding up its caller, and stops cleanly', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const bus = new InProcessBus();
    await bus.close(); // a bus that refuses consumers, as Kafka does while the broker is down
    const inbound = startInboundConsumers({ bus, commands: new CommandHandler(store, domainEventCodec), logger, registry: new Registry(), retryMs: 5, maxRetryMs: 20 });
    const refusals = () => lines.filter((line) => line.msg === 'inbound consumer could not start; trying again');
    await eventually(() => (refusals().length >= 4 ? true : undefined), 'several tries to start');
    expect(refusals()[0]).toMatchObject({ level: 'warn', component: 'inbound', err: expect.objectContaining({ message: 'the message bus is closed' }) });
    await inbound.stop();
    await inbound.ready;
    const tries = refusals().length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(refusals().length).toBe(tries);
  });

  it('starts one consumer per inbound topic in its group', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const bus = new InProcessBus();
    const inbound = startInboundConsumers({ bus, commands: new CommandHandler(store, domainEventCodec), logger, registry: new Registry() });
    await inbound.ready;
    expect(lines.filter((line) => line.msg === 'inbound consumer started').map((line) => [line.topic, line.group])).toEqual([
      ['postledger.ai.generation-results', 'postledger.inbound.generation-results'],
      ['postledger.publish-results', 'postledger.inbound.publish-results'],
    ]);
    await inbound.stop();
    await bus.close();
  });
});

describe('inboundHandler', () => {
  it('rejects (so the bus retries the message) when the dead letter cannot be sent, and counts no dead letter', async () => {
    const bus = new InProcessBus();
    await bus.close(); // publishing fails, as it does while the broker is down
    const registry = new Registry();
    const spec = generationResults({ commands: new CommandHandler(store, domainEventCodec), now: () => new Date() });
    const handle = inboundHandler(spec, { bus, logger: createLogger('silent'), metrics: inboundMetrics(registry), now: () => new Date() });
    const message = { topic: spec.topic, partition: 0, offset: '7', key: 'k', value: 'not json', headers: {} };
    await expect(handle(message)).rejects.toThrow('the message bus is closed');
    const dead = await registry.getSingleMetric('inbound_messages_dead_lettered_total')!.get();
    expect(dead.values.reduce((sum, v) => sum + v.value, 0)).toBe(0);
  });
});

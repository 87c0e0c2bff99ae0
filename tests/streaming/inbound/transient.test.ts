/**
 * A transient failure is retried, never dead-lettered: the inbound consumers' database goes
 * away (a TCP proxy in front of the real PostgreSQL is shut), and the answer is recorded once
 * it is back. Runs on the in-process bus; the Kafka bus keeps the same retry contract (its
 * own contract suite).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Pool } from 'pg';
import { CommandHandler } from '../../../src/commands/command-handler';
import { domainEventCodec } from '../../../src/commands/event-codec';
import { PostgresEventStore } from '../../../src/eventstore/postgres/store';
import { topics } from '../../../src/streaming/bus';
import { InProcessBus } from '../../../src/streaming/in-process-bus';
import { startTestApi, type TestApi } from '../../support/api';
import { unusedPort } from '../../support/ports';
import { generationsWorkspace, type GenerationsWorkspace } from '../../commands/routes/generations-support';
import { eventually, type InboundHarness, startInboundHarness } from './support';

/** A TCP proxy to PostgreSQL that can be cut (connections refused, open ones dropped) and restored. */
class DatabaseProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  up(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

let api: TestApi;
let ws: GenerationsWorkspace;
let proxy: DatabaseProxy;
let pool: Pool;
let store: PostgresEventStore;
let bus: InProcessBus;
let harness: InboundHarness;

beforeAll(async () => {
  api = await startTestApi();
  ws = await generationsWorkspace(api);
  const direct = new URL(api.database.connectionString);
  proxy = new DatabaseProxy(await unusedPort(), { host: direct.hostname, port: Number(direct.port || 5432) });
  await proxy.up();
  const proxied = new URL(direct);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  pool = new Pool({ connectionString: proxied.toString(), max: 2, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  store = new PostgresEventStore({ connection: { connectionString: proxied.toString() }, pool });
  bus = new InProcessBus({ retryMs: 20, maxRetryMs: 100 });
  harness = await startInboundHarness(bus, new CommandHandler(store, domainEventCodec));
});
afterAll(async () => {
  await harness?.close();
  await bus?.close();
  await store?.close();
  await pool?.end().catch(() => undefined);
  await proxy?.down();
  await api?.close();
});

it('retries a result while the database is unreachable, dead-letters nothing, and records it once the database is back', async () => {
  const id = await ws.request(ws.owner.auth);
  await proxy.down();
  await harness.send(topics.generationResults, id, { generationId: id, workspaceId: ws.workspaceId, status: 'completed', output: { text: 'Back online' } });
  const failures = () => harness.counter('inbound_message_failures_total', { topic: topics.generationResults });
  await eventually(async () => ((await failures()) >= 3 ? true : undefined), 'three failed tries');
  expect(harness.deadLettersOf(id)).toEqual([]);
  expect((await api.store.readStream(`generation-${id}`)).map((e) => e.type)).toEqual(['GenerationRequested']);

  await proxy.up();
  await eventually(async () => ((await api.store.readStream(`generation-${id}`)).length === 2 ? true : undefined), 'the result to be recorded');
  expect((await api.store.readStream(`generation-${id}`)).map((e) => e.type)).toEqual(['GenerationRequested', 'GenerationCompleted']);
  expect(await harness.counter('inbound_messages_processed_total', { topic: topics.generationResults })).toBe(1);
  expect(harness.deadLettersOf(id)).toEqual([]);
});

import request from 'supertest';
import { boundPort, listen, closeServer } from '../src/http/server';
import { type Config, loadConfig } from '../src/platform/config';
import { createLogger, redactUrl } from '../src/platform/logger';
import { projections } from '../src/projections';
import { migrateDatabase, startService } from '../src/service';
import { createTestDatabase, type TestDatabase } from './support/database';
import { unusedPort } from './support/ports';


function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('startService', () => {
  let db: TestDatabase;
  let config: Config;

  beforeAll(async () => {
    db = await createTestDatabase('svc');
    config = { ...loadConfig({ DATABASE_URL: db.connectionString, SHUTDOWN_TIMEOUT_MS: '1000' }), port: 0, host: '127.0.0.1' };
  });

  afterAll(() => db.drop());

  it('migrates the event log, serves the operational routes and closes everything in order', async () => {
    const { logger, records } = capturedLogger();
    const downPort = await unusedPort();
    const service = await startService(
      { ...config, redisUrl: 'redis://127.0.0.1:6379', kafkaBrokers: [`127.0.0.1:${downPort}`] },
      logger,
    );
    const url = `http://127.0.0.1:${boundPort(service.server)}`;
    await request(url).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(url).get('/readyz').expect(503);
    expect(Object.keys(ready.body.dependencies)).toEqual(['postgres', 'kafka', 'redis', 'eventstore', 'projections']);
    expect(ready.body.detail).toBe(`Not ready: kafka is down (Connection error: connect ECONNREFUSED 127.0.0.1:${downPort})`);
    expect(ready.body.dependencies.redis.status).toBe('up');
    expect(ready.body.dependencies.postgres.status).toBe('up');
    expect(ready.body.dependencies.eventstore.status).toBe('up');

    const closing = service.close();
    expect(service.close()).toBe(closing);
    expect(await closing).toBe(true);
    expect(service.server.listening).toBe(false);
    const messages = records().map((r) => r.msg);
    expect(messages).toEqual(expect.arrayContaining(['using PostgreSQL', 'Postledger is listening']));
    expect(messages.some((m) => /^applied \d+ migration\(s\)$/.test(String(m)))).toBe(true);
    expect(messages.filter((m) => String(m).startsWith('closed '))).toEqual([
      'closed realtime gateway',
      'closed HTTP server',
      'closed inbound consumers',
      'closed relay',
      'closed audit head signer',
      'closed process managers',
      ...[...projections].reverse().map((p) => `closed projection ${p.name}`),
      'closed read-your-writes listener',
      'closed message bus (kafka)',
      'closed event store',
      'closed Redis client',
      'closed Kafka admin client',
      'closed PostgreSQL pool',
    ]);
    // the password, if the URL has one, never reaches the logs
    expect(records().find((r) => r.msg === 'using PostgreSQL')!.database).toBe(redactUrl(db.connectionString));
  });

  it('runs only what its roles say: api without projections, projector without the API routes', async () => {
    const apiLog = capturedLogger();
    const projectorLog = capturedLogger();
    const apiOnly = await startService({ ...config, roles: ['api'] }, apiLog.logger);
    const projectorOnly = await startService({ ...config, roles: ['projector'] }, projectorLog.logger);
    try {
      await request(apiOnly.server).post('/v1/workspaces').send({ name: 'x' }).expect(401);
      await request(projectorOnly.server).post('/v1/workspaces').send({ name: 'x' }).expect(404);
      await request(projectorOnly.server).get('/healthz').expect(200);
    } finally {
      await apiOnly.close();
      await projectorOnly.close();
    }
    const closedProjections = (log: typeof apiLog) => log.records().filter((r) => String(r.msg).startsWith('closed projection'));
    expect(closedProjections(apiLog)).toHaveLength(0);
    expect(closedProjections(projectorLog)).toHaveLength(projections.length);
  });

  it('finds the schema up to date on the next start and is ready with PostgreSQL alone', async () => {
    const { logger, records } = capturedLogger();
    const service = await startService(config, logger);
    try {
      const ready = await request(service.server).get('/readyz').expect(200);
      expect(Object.keys(ready.body.dependencies)).toEqual(['postgres', 'eventstore', 'projections']);
      expect(records().map((r) => r.msg)).toContain('database schema is up to date');
    } finally {
      await service.close();
    }
  });

  it('relays the log to the message bus it exposes: in-process without KAFKA_BROKERS, only with the relay role', async () => {
    const relayLog = capturedLogger();
    const apiLog = capturedLogger();
    const withRelay = await startService({ ...config, roles: ['api', 'relay'] }, relayLog.logger);
    const apiOnly = await startService({ ...config, roles: ['api'] }, apiLog.logger);
    try {
      expect(withRelay.bus.kind).toBe('in-process');
      const keys: string[] = [];
      await withRelay.bus.consume({ topics: ['postledger.user'], fromBeginning: true, handle: async (m) => void keys.push(m.key) });
      const res = await request(apiOnly.server).post('/v1/auth/register').send({ email: 'relayed@example.com', password: 'correct horse battery staple', displayName: 'R' }).expect(201);
      const streamId = `user-${(res.body as { user: { id: string } }).user.id}`;
      for (let waited = 0; !keys.includes(streamId) && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(keys).toContain(streamId);
      const metrics = await request(withRelay.server).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/^relay_state\{state="running"\} 1$/m);
      expect((await request(apiOnly.server).get('/metrics').expect(200)).text).not.toContain('relay_state');
    } finally {
      await withRelay.close();
      await apiOnly.close();
    }
    expect(relayLog.records().map((r) => r.msg)).toEqual(expect.arrayContaining(['relay active', 'closed relay', 'closed message bus (in-process)']));
    expect(apiLog.records().map((r) => r.msg)).not.toContain('closed relay');
  });

  it('closes what it opened when start-up fails', async () => {
    const { logger, records } = capturedLogger();
    const taken = await listen((_req, res) => res.end(), 0, '127.0.0.1');
    try {
      await expect(startService({ ...config, port: boundPort(taken) }, logger)).rejects.toThrow(/EADDRINUSE/);
      expect(records().map((r) => r.msg)).toEqual(expect.arrayContaining(['closed event store', 'closed PostgreSQL pool']));
    } finally {
      await closeServer(taken, 1000);
    }
  });

  it('keeps the log in EventStoreDB when EVENT_STORE=eventstoredb, and reports it down when it cannot be reached', async () => {
    const { logger, records } = capturedLogger();
    const esdbPort = await unusedPort();
    const esdb: Config = { ...config, eventStore: { kind: 'eventstoredb', connectionString: `esdb://127.0.0.1:${esdbPort}?tls=false` } };
    const service = await startService(esdb, logger);
    try {
      const ready = await request(service.server).get('/readyz').expect(503);
      expect(ready.body.dependencies.postgres.status).toBe('up');
      expect(ready.body.dependencies.eventstore.status).toBe('down');
      expect(ready.body.detail).toMatch(/^Not ready: eventstore is down \(/);
      expect(records().find((r) => r.msg === 'Postledger is listening')).toMatchObject({ eventStore: 'eventstoredb' });
    } finally {
      expect(await service.close()).toBe(true);
    }
  });
});

describe('migrateDatabase', () => {
  it('applies the event log migrations once and reports their ids', async () => {
    const db = await createTestDatabase('mig');
    try {
      const config = loadConfig({ DATABASE_URL: db.connectionString });
      const logger = createLogger('silent');
      const applied = await migrateDatabase(config, logger);
      expect(applied[0]).toBe('0001_event_log');
      expect(applied).toEqual(expect.arrayContaining(['1001_auth_credentials', '2001_idempotency_keys', '3001_rm_memberships']));
      expect(await migrateDatabase(config, logger)).toEqual([]);
      // the log lives in EventStoreDB: nothing of it is migrated in PostgreSQL
      const esdb = loadConfig({ DATABASE_URL: db.connectionString, EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:1?tls=false' });
      expect(await migrateDatabase(esdb, logger)).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});

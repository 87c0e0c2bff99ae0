import request from 'supertest';
import { boundPort } from '../../src/http/server';
import { loadConfig } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import { closeCodes } from '../../src/realtime';
import { type Service, startService } from '../../src/service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, TestClient } from './support';

describe('realtime in the service', () => {
  let db: TestDatabase;
  let services: Service[];

  beforeAll(async () => {
    db = await createTestDatabase('rt');
    const config = { ...loadConfig({ DATABASE_URL: db.connectionString, ROLES: 'api', SHUTDOWN_TIMEOUT_MS: '1000', SUBSCRIPTION_POLL_MS: '5000' }), port: 0, host: '127.0.0.1' };
    // two API processes on one database, as behind a load balancer
    services = [await startService(config, createLogger('silent')), await startService(config, createLogger('silent'))];
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
    await db.drop();
  });

  it('delivers every event to the clients of both gateway processes, and counts them in /metrics', async () => {
    const [one, two] = services.map((s) => `http://127.0.0.1:${boundPort(s.server)}`) as [string, string];
    const registered = await request(one).post('/v1/auth/register').send({ email: 'rt@example.com', password: 'correct horse battery staple', displayName: 'RT' }).expect(201);
    const token = (registered.body as { accessToken: string }).accessToken;
    const auth = { Authorization: `Bearer ${token}` };
    const workspaceId = ((await request(one).post('/v1/workspaces').set(auth).send({ name: 'Both' }).expect(201)).body as { id: string }).id;
    const clients = await Promise.all([one, two].map((base) => TestClient.connect(`${base.replace('http', 'ws')}/v1/realtime`, token)));
    for (const client of clients) await client.subscribe(workspaceId);
    // a command on each process; each process's clients get both
    await request(one).post(`/v1/workspaces/${workspaceId}/accounts`).set(auth).send({ platform: 'x', handle: 'one', externalId: '1' }).expect(201);
    await request(two).post(`/v1/workspaces/${workspaceId}/accounts`).set(auth).send({ platform: 'x', handle: 'two', externalId: '2' }).expect(201);
    for (const client of clients) await eventually('both accounts', () => client.events().filter((e) => e.type === 'AccountConnected').length === 2);
    expect(clients[0]!.positions()).toEqual(clients[1]!.positions());

    const metrics = (await request(two).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^realtime_connections 1$/m);
    expect(metrics).toMatch(/^realtime_messages_sent_total\{type="event"\} 2$/m);
    expect(metrics).toMatch(/^realtime_messages_sent_total\{type="caught-up"\} 1$/m);
    expect(metrics).toMatch(/^realtime_delivery_lag_seconds_count 2$/m);

    // shutting a process down closes its sockets with 1001 (go elsewhere and resume)
    await services[1]!.close();
    expect((await clients[1]!.closed).code).toBe(closeCodes.goingAway);
    clients[0]!.close();
  });
});

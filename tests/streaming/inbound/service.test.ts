/**
 * The service runs the inbound consumers in its `relay` role on the bus it creates: with no
 * KAFKA_BROKERS, the in-process bus, so the embedded default runs the same flow.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { type Config, loadConfig } from '../../../src/platform/config';
import { createLogger } from '../../../src/platform/logger';
import { startService } from '../../../src/service';
import { topics } from '../../../src/streaming/bus';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { eventually } from './support';

let db: TestDatabase;
let config: Config;

beforeAll(async () => {
  db = await createTestDatabase('svcin');
  config = { ...loadConfig({ DATABASE_URL: db.connectionString, SHUTDOWN_TIMEOUT_MS: '1000' }), port: 0, host: '127.0.0.1', dataDir: mkdtempSync(path.join(tmpdir(), 'postledger-inbound-')) };
});
afterAll(() => db.drop());

it('records a generation result published on its in-process bus with the relay role, and counts it in /metrics', async () => {
  const service = await startService(config, createLogger('silent'));
  try {
    expect(service.bus.kind).toBe('in-process');
    const http = request(service.server);
    const registered = await http.post('/v1/auth/register').send({ email: `inbound-${db.schema}@example.com`, password: 'correct horse battery staple', displayName: 'I' }).expect(201);
    const auth = { Authorization: `Bearer ${(registered.body as { accessToken: string }).accessToken}` };
    const workspaceId = ((await http.post('/v1/workspaces').set(auth).send({ name: 'Acme' }).expect(201)).body as { id: string }).id;
    const generationId = ((await http.post(`/v1/workspaces/${workspaceId}/generations`).set(auth).send({ kind: 'caption', prompt: 'Launch' }).expect(202)).body as { id: string }).id;
    await service.bus.publish(topics.generationResults, [
      { key: generationId, value: JSON.stringify({ generationId, workspaceId, status: 'completed', output: { text: 'Launch day!' } }), headers: {} },
    ]);
    const generation = await eventually(async () => {
      const res = await http.get(`/v1/workspaces/${workspaceId}/generations/${generationId}`).set(auth).expect(200);
      return res.body.status === 'completed' ? res.body : undefined;
    }, 'the generation to complete');
    expect(generation).toMatchObject({ output: { text: 'Launch day!' } });
    const metrics = await http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^inbound_messages_processed_total\{topic="postledger\.ai\.generation-results"\} 1$/m);
  } finally {
    // a clean close of every step is tests/service.test.ts's to prove
    await service.close();
  }
});

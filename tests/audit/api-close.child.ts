/**
 * Run by api-close.test.ts in a process of its own (`node --import tsx`): serves the API over
 * the given schema, makes the requests the audit benchmark makes (register, role change,
 * `GET /v1/events`, `GET /v1/audit/verify`, one that waits on `X-Min-Position`), closes
 * everything the way the service does, then prints the kinds of handle still open as one JSON line and returns, without process.exit:
 * the process must end by itself.
 */
import { once } from 'node:events';
import http from 'node:http';
import { Pool } from 'pg';
import { changePlatformRole } from '../../src/cli/users';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { buildApi } from '../../src/http/api';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/platform/logger';
import { createMetrics } from '../../src/platform/metrics';
import { sealPersonalData } from '../../src/personal-data';

async function main(): Promise<void> {
  const [connectionString, dataDir] = process.argv.slice(2);
  if (!connectionString || !dataDir) throw new Error('usage: node --import tsx api-close.child.ts <connection string> <data dir>');
  const pool = new Pool({ connectionString, max: 4 });
  const rawStore = new PostgresEventStore({ connection: { connectionString }, pool });
  const { store, personKeys } = await sealPersonalData(rawStore, { pool, dataDir, keyCacheSize: 100, keyCacheTtlMs: 60_000 });
  const logger = createLogger('silent');
  const assembly = await buildApi({
    config: {
      auth: { issuer: 'postledger-test', audience: 'postledger-test-api', accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30 },
      dataDir,
      rateLimits: { windowMs: 60_000, credentials: 100, webhook: 100, api: 100 },
      minPositionTimeoutMs: 300,
    },
    pool,
    store,
    rawStore,
    personKeys,
    logger,
    webhookSecret: 'x'.repeat(32),
  });
  const app = createApp({ logger, metrics: createMetrics(), readinessChecks: [], routes: [assembly.router], corsOrigins: [] });
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const email = `closer-${process.pid}@example.com`;
  const registered = await fetch(`${base}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery staple', displayName: 'Closer' }),
  });
  const { accessToken } = (await registered.json()) as { accessToken: string };
  await changePlatformRole(store, pool, { action: 'grant-role', email, role: 'analyst' });
  await changePlatformRole(store, pool, { action: 'grant-role', email, role: 'auditor' });
  const auth = { Authorization: `Bearer ${accessToken}` };
  const exported = await fetch(`${base}/v1/events`, { headers: auth });
  const lines = (await exported.text()).split('\n').filter(Boolean).length;
  const verified = await fetch(`${base}/v1/audit/verify`, { headers: auth });
  const verify = (await verified.json()) as unknown;
  // no projector runs here: a read that waits for one times out (503), through the LISTEN connection and a timer
  const waited = await fetch(`${base}/v1/audit/verify`, { headers: { ...auth, 'X-Min-Position': '1000000' } });
  await waited.text();

  server.closeAllConnections();
  server.close();
  await assembly.close();
  await rawStore.close();
  await pool.end();
  // what is still open once closing has settled: this process's own fetch sockets close a moment
  // after the server's side, so look again for up to 2 s until only stdio is left
  let open = process.getActiveResourcesInfo();
  for (let tries = 0; tries < 40 && open.some((kind) => kind !== 'PipeWrap' && kind !== 'TTYWrap'); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    open = process.getActiveResourcesInfo();
  }
  process.stdout.write(`${JSON.stringify({ statuses: [registered.status, exported.status, verified.status, waited.status], lines, verify, open })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exitCode = 1;
});

/**
 * Serves the API (`buildApi` + `createApp`) on a free local port over the given database, the way
 * the service wires it for audit and export: the export reads through the store that opens personal
 * data. For the audit tests that run the API in a process of their own.
 */
import { once } from 'node:events';

import { Pool } from 'pg';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { buildApi } from '../../src/http/api';
import { createApp } from '../../src/http/app';
import { serverFor } from '../../src/http/server';
import { createLogger } from '../../src/platform/logger';
import { createMetrics } from '../../src/platform/metrics';
import { sealPersonalData } from '../../src/personal-data';

export async function serveApi(connectionString: string, dataDir: string, options: { keyCacheSize: number; minPositionTimeoutMs?: number }) {
  const pool = new Pool({ connectionString, max: 4 });
  const rawStore = new PostgresEventStore({ connection: { connectionString }, pool });
  const { store, personKeys } = await sealPersonalData(rawStore, { pool, dataDir, keyCacheSize: options.keyCacheSize, keyCacheTtlMs: 60_000 });
  const logger = createLogger('silent');
  const assembly = await buildApi({
    config: {
      auth: { issuer: 'postledger-test', audience: 'postledger-test-api', accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30 },
      dataDir,
      rateLimits: { windowMs: 60_000, credentials: 100, webhook: 100, api: 100 },
      ...(options.minPositionTimeoutMs === undefined ? {} : { minPositionTimeoutMs: options.minPositionTimeoutMs }),
    },
    pool,
    store,
    rawStore,
    personKeys,
    logger,
    webhookSecret: 'x'.repeat(32),
  });
  const app = createApp({ logger, metrics: createMetrics(), readinessChecks: [], routes: [assembly.router], corsOrigins: [] });
  const server = serverFor(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { pool, store, rawStore, assembly, server, port };
}

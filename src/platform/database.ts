import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'pg';
import type { Config } from './config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { type Logger, redactUrl } from './logger';
import type { Teardown } from './teardown';

export interface Database {
  connectionString: string;
  /** Shared by the event log (when it is PostgreSQL) and the read models. */
  pool: Pool;
}

/**
 * Connects to the configured PostgreSQL, or starts the embedded one under `DATA_DIR` when
 * `DATABASE_URL` is not set. What it opens is added to `teardown`.
 */
export async function openDatabase(config: Config, logger: Logger, teardown: Teardown): Promise<Database> {
  let connectionString = config.databaseUrl;
  if (connectionString === undefined) {
    const dataDir = path.join(config.dataDir, 'postgres');
    logger.info({ dataDir, port: config.embeddedPgPort }, 'DATABASE_URL not set: starting embedded PostgreSQL');
    const server = await startEmbeddedPostgres({
      dataDir,
      port: config.embeddedPgPort,
      onLog: (line) => logger.debug({ component: 'embedded-postgres' }, line),
    });
    teardown.add('embedded PostgreSQL', () => server.stop());
    connectionString = server.connectionString;
  }
  const pool = new Pool({ connectionString, max: 16 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  teardown.add('PostgreSQL pool', () => endPool(pool));
  logger.info({ database: redactUrl(connectionString) }, 'using PostgreSQL');
  return { connectionString, pool };
}

/**
 * Ends `pool` and waits until each of its connections is closed: `pool.end()` resolves once
 * it has asked them to close, and a server stopped just after (the embedded one, at shutdown)
 * would end the ones still open itself, each reported as a failed idle connection. Waits at
 * most `graceMs` for them.
 *
 * ```ts
 * await endPool(pool); // no connection of the pool left on the server
 * ```
 */
export async function endPool(pool: Pool, graceMs = 5_000): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    const onRemove = () => {
      if (--open > 0) return;
      pool.off('remove', onRemove);
      resolve();
    };
    pool.on('remove', onRemove);
  });
  await pool.end();
  const grace = new AbortController();
  await Promise.race([closed, delay(graceMs, undefined, { signal: grace.signal, ref: false }).catch(() => undefined)]);
  grace.abort();
}

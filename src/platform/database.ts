import path from 'node:path';
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
  teardown.add('PostgreSQL pool', () => pool.end());
  logger.info({ database: redactUrl(connectionString) }, 'using PostgreSQL');
  return { connectionString, pool };
}

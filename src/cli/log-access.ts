import type { Pool } from 'pg';
import type { EventStore } from '../eventstore/port';
import type { Config } from '../platform/config';
import { openDatabase } from '../platform/database';
import { createLogger, type Logger } from '../platform/logger';
import { Teardown } from '../platform/teardown';
import type { HostProcess } from '../serve';
import { openEventStore } from '../service';

/** What the audit and replay commands work with; `teardown.run()` closes it all. */
export interface LogAccess {
  config: Config;
  logger: Logger;
  pool: Pool;
  /** The log as stored: the chain is verified against this one. */
  rawStore: EventStore;
  /** The log as readers see it (replays): personal data opened, or erased, as the API shows it. */
  store: EventStore;
  teardown: Teardown;
}

/**
 * Opens the configured database and event log for a command, logging to stderr (stdout
 * carries the command's output).
 *
 * ```ts
 * const access = await openLogAccess(config, host);
 * try { … } finally { await access.teardown.run(); }
 * ```
 */
export async function openLogAccess(config: Config, host: HostProcess): Promise<LogAccess> {
  const logger = createLogger(config.logLevel, { write: (line: string) => host.stderr.write(line) });
  const teardown = new Teardown(logger);
  try {
    const database = await openDatabase(config, logger, teardown);
    const { store, rawStore } = await openEventStore(config, database, logger, teardown);
    return { config, logger, pool: database.pool, rawStore, store, teardown };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

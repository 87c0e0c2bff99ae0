import type { Pool } from 'pg';
import type { EventStore } from '../eventstore/port';
import type { Config } from '../platform/config';
import { openDatabase } from '../platform/database';
import { describeError } from '../platform/health';
import { createLogger, type Logger } from '../platform/logger';
import { Teardown } from '../platform/teardown';
import { configOrExit, type HostProcess } from '../serve';
import { openEventStore } from '../service';

/** What a command works with: its configuration, a logger on stderr, and what closes everything it opened. */
export interface CommandContext {
  config: Config;
  logger: Logger;
  teardown: Teardown;
}

/** The failure of a command: its exit code and the one line it writes to stderr. */
export interface CommandFailure {
  code: number;
  line: string;
}

/**
 * The frame of a `postledger` command: the configuration (a bad one exits 2 with one line),
 * a logger on stderr (stdout carries the command's output), everything the command opened on
 * `teardown` closed at the end, and one exit code: what `work` returns, or, when it throws,
 * `failure(error)` (default: 1 and `postledger <name> failed: …`).
 *
 * ```ts
 * await runCommand(host, 'projections status', async ({ config, logger, teardown }) => {
 *   const database = await openDatabase(config, logger, teardown);
 *   …
 *   return 0;
 * });
 * ```
 */
export async function runCommand(
  host: HostProcess,
  name: string,
  work: (context: CommandContext) => Promise<number>,
  failure: (error: unknown) => CommandFailure = (error) => ({ code: 1, line: `postledger ${name} failed: ${describeError(error)}` }),
): Promise<void> {
  const config = configOrExit(host);
  if (!config) return;
  const logger = createLogger(config.logLevel, { write: (line: string) => host.stderr.write(line) });
  const teardown = new Teardown(logger);
  let exitCode: number;
  try {
    exitCode = await work({ config, logger, teardown });
  } catch (error) {
    const failed = failure(error);
    exitCode = failed.code;
    host.stderr.write(`${failed.line}\n`);
  } finally {
    await teardown.run();
  }
  host.exit(exitCode);
}

/** A command's access to the database and the event log, closed by the command's teardown. */
export interface LogAccess extends CommandContext {
  pool: Pool;
  connectionString: string;
  /** The log as stored: the chain is verified against this one. */
  rawStore: EventStore;
  /** The log as readers see it (replays): personal data opened, or erased, as the API shows it. */
  store: EventStore;
}

/**
 * Opens the configured database and event log for a command.
 *
 * ```ts
 * await runCommand(host, 'replay', async (context) => {
 *   const { store } = await openLogAccess(context);
 *   …
 * });
 * ```
 */
export async function openLogAccess(context: CommandContext): Promise<LogAccess> {
  const { config, logger, teardown } = context;
  const database = await openDatabase(config, logger, teardown);
  const { store, rawStore } = await openEventStore(config, database, logger, teardown);
  return { ...context, pool: database.pool, connectionString: database.connectionString, rawStore, store };
}

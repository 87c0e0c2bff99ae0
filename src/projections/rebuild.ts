import { sql, type Kysely, type Transaction } from 'kysely';
import type { ClientConfig } from 'pg';
import type { EventStore, Position, RecordedEvent } from '../eventstore/port';
import type { Logger } from '../platform/logger';
import { Progress, type ProgressStream } from '../platform/progress';
import { SessionLock } from '../platform/session-lock';
import type { Projection } from './projection';
import { PROGRESS_CHANNEL_PREFIX } from './progress';
import type { ReadModels } from './read-models';

export interface RebuildOptions {
  db: Kysely<ReadModels>;
  store: EventStore;
  projection: Projection;
  /** Settings of the connection that holds the rebuild's lock (one rebuild per projection at a time). */
  lockConnection: ClientConfig;
  logger: Logger;
  /** A terminal to draw the progress bar on (stderr); otherwise progress goes to the logs. */
  progressStream?: ProgressStream;
  /** Events per read and per transaction (default 2000). */
  batchSize?: number;
}

export interface RebuildResult {
  projection: string;
  /** Events applied to the new tables. */
  events: number;
  /** The checkpoint the new tables were swapped in at. */
  position: Position;
  seconds: number;
}

/** Another rebuild of the same projection holds its lock. */
export class RebuildAlreadyRunning extends Error {
  constructor(name: string) {
    super(`a rebuild of ${name} is already running`);
    this.name = 'RebuildAlreadyRunning';
  }
}

/**
 * Rebuilds a projection from the whole log while the API keeps serving its current tables:
 *
 * 1. the projection's migrations create fresh tables in a schema of their own
 *    (`<schema>__rebuild_<name>`), and the log is applied to them in batches, with that schema
 *    alone on the search_path (a projection that touched another table would fail, not write
 *    to the live ones);
 * 2. one transaction then locks the projection's checkpoint row — the live projector moves it
 *    in every batch, so it waits here and never writes concurrently — applies the events that
 *    came meanwhile, moves the live tables out and the new ones in (`ALTER TABLE … SET
 *    SCHEMA`, indexes and constraints go with them), and sets the checkpoint to where the new
 *    tables are. Readers see the old tables until the commit, the new ones after it;
 * 3. the old tables are dropped.
 *
 * The live projector carries on: its next batch either continues from the same checkpoint or,
 * finding it moved, resumes from the new one.
 *
 * ```ts
 * const result = await rebuildProjection({ db, store, projection: postsProjection, lockConnection, logger });
 * ```
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { db, store, projection, logger } = options;
  const name = projection.name;
  if (!/^[a-z][a-z0-9_-]{0,30}$/.test(name)) throw new Error(`projection name ${JSON.stringify(name)} cannot name a schema`);
  const batchSize = options.batchSize ?? 2000;
  const lock = new SessionLock(options.lockConnection, `projection-rebuild:${name}`);
  if (!(await lock.tryAcquire())) {
    await lock.release();
    throw new RebuildAlreadyRunning(name);
  }
  const startedAt = Date.now();
  const live = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
  const shadow = `${live}__rebuild_${name}`;
  const retired = `${live}__retired_${name}`;
  const log = logger.child({ projection: name, rebuild: shadow });
  try {
    await sql`drop schema if exists ${sql.id(shadow)} cascade`.execute(db);
    await sql`drop schema if exists ${sql.id(retired)} cascade`.execute(db);
    await sql`create schema ${sql.id(shadow)}`.execute(db);
    const tables = await createTables(db, projection, shadow);
    log.info({ tables }, 'rebuild started: new tables created beside the live ones');

    const progress = new Progress({ label: `rebuild ${name}`, unit: 'log positions', stream: options.progressStream, logger: log });
    let position: Position = 0n;
    let events = 0;
    const head = (await store.headPosition()) ?? 0n;
    const read = (after: Position) => store.readAll({ after: after === 0n ? undefined : after, maxCount: batchSize, filter: projection.filter });
    // reading the next page overlaps applying this one
    let next = read(position);
    for (;;) {
      const page = await next;
      if (page.length === 0) break;
      const last = page.at(-1)!.position;
      next = page.length < batchSize ? Promise.resolve([]) : read(last);
      await db.transaction().execute(async (trx) => {
        await sql`set local search_path to ${sql.id(shadow)}`.execute(trx);
        await projection.apply(trx, page);
      });
      position = last;
      events += page.length;
      progress.update(Number(position), Number(head > position ? head : position));
    }
    progress.update(Number(head > position ? head : position), Number(head > position ? head : position));
    progress.finish(`${events} events applied; swapping the new tables in`);

    await sql`create schema ${sql.id(retired)}`.execute(db);
    const swapped = await db.transaction().execute(async (trx) => {
      const checkpoints = sql.id(live, 'pl_projection_checkpoints');
      await sql`insert into ${checkpoints} (name, position, status) values (${name}, 0, 'running') on conflict (name) do nothing`.execute(trx);
      // the live projector moves this row in every batch: it waits here until the swap commits
      await sql`select position from ${checkpoints} where name = ${name} for update`.execute(trx);
      const headAtSwap = (await store.headPosition()) ?? 0n;
      await sql`set local search_path to ${sql.id(shadow)}`.execute(trx);
      const caughtUp = await applyRest(trx, store, projection, position, batchSize);
      await sql`set local search_path to ${sql.id(live)}`.execute(trx);
      for (const table of tables) {
        await sql`alter table if exists ${sql.id(live, table)} set schema ${sql.id(retired)}`.execute(trx);
        await sql`alter table ${sql.id(shadow, table)} set schema ${sql.id(live)}`.execute(trx);
      }
      const at = caughtUp.position;
      const passed = headAtSwap > at ? headAtSwap : at;
      await sql`update ${checkpoints} set position = ${at.toString()}::bigint, read_position = greatest(read_position, ${passed.toString()}::bigint),
                 status = 'running', error = null, updated_at = now() where name = ${name}`.execute(trx);
      await sql`select pg_notify(${PROGRESS_CHANNEL_PREFIX + live}, ${name})`.execute(trx);
      return { position: at, events: caughtUp.events };
    });
    await sql`drop schema ${sql.id(retired)} cascade`.execute(db);
    await sql`drop schema ${sql.id(shadow)} cascade`.execute(db);
    const result = { projection: name, events: events + swapped.events, position: swapped.position, seconds: (Date.now() - startedAt) / 1000 };
    log.info({ ...result, position: result.position.toString() }, 'rebuild done: the new tables are live');
    return result;
  } catch (error) {
    // the live tables are untouched until the swap commits: only the new ones go
    await sql`drop schema if exists ${sql.id(shadow)} cascade`.execute(db).catch(() => undefined);
    await sql`drop schema if exists ${sql.id(retired)} cascade`.execute(db).catch(() => undefined);
    throw error;
  } finally {
    await lock.release();
  }
}

/** Runs the projection's migrations in `schema`; returns the tables they made there. */
async function createTables(db: Kysely<ReadModels>, projection: Projection, schema: string): Promise<string[]> {
  await db.transaction().execute(async (trx) => {
    await sql`set local search_path to ${sql.id(schema)}`.execute(trx);
    for (const migration of [...projection.migrations].sort((a, b) => a.id.localeCompare(b.id))) await sql.raw(migration.sql).execute(trx);
  });
  const { rows } = await sql<{ t: string }>`select tablename as t from pg_tables where schemaname = ${schema} order by tablename`.execute(db);
  return rows.map((r) => r.t);
}

/** Applies, in `trx`, what the log holds after `after`. */
async function applyRest(trx: Transaction<ReadModels>, store: EventStore, projection: Projection, after: Position, batchSize: number): Promise<{ position: Position; events: number }> {
  let position = after;
  let events = 0;
  for (;;) {
    const page: RecordedEvent[] = await store.readAll({ after: position === 0n ? undefined : position, maxCount: batchSize, filter: projection.filter });
    if (page.length === 0) return { position, events };
    await projection.apply(trx, page);
    position = page.at(-1)!.position;
    events += page.length;
  }
}

import { sql, type Kysely, type Transaction } from 'kysely';
import type { ClientConfig } from 'pg';
import type { EventFilter, EventStore, Position, RecordedEvent } from '../eventstore/port';
import type { Logger } from '../platform/logger';
import { Progress, type ProgressStream } from '../platform/progress';
import { SessionLock } from '../platform/session-lock';
import type { BulkLoad, Projection } from './projection';
import { PROGRESS_CHANNEL_PREFIX } from './progress';
import type { ReadModels } from './read-models';

export interface RebuildOptions {
  db: Kysely<ReadModels>;
  /** The log as the service reads it (personal data opened): what projections without `storedForm` read. */
  store: EventStore;
  /** The log as stored, for projections with `storedForm` (the audit chain); default `store`. */
  rawStore?: EventStore;
  /** Settings of the connections that hold the rebuild's locks (one rebuild per projection at a time). */
  lockConnection: ClientConfig;
  logger: Logger;
  /** A terminal to draw the progress bar on (stderr); otherwise progress goes to the logs. */
  progressStream?: ProgressStream;
  /** Log positions per read (default 10,000); each projection applies what matches of a page in one transaction. */
  batchSize?: number;
}

export interface RebuildResult {
  projection: string;
  /** Events applied to the new tables. */
  events: number;
  /** The checkpoint the new tables were swapped in at. */
  position: Position;
  /** The whole rebuild's (all projections rebuilt together share it). */
  seconds: number;
  /** Time in this projection's own transactions, and in building its indexes (wall time, overlapping the others'). */
  applySeconds: number;
  indexSeconds: number;
}

/** What a rebuild of several projections from one read of the log did. */
export interface RebuildAllResult {
  projections: RebuildResult[];
  /** Events read from the log (each once, whichever projections it went to). */
  logEvents: number;
  /** Events applied, summed over the projections (an event read by three counts three times). */
  applied: number;
  seconds: number;
}

/** Another rebuild of the same projection holds its lock. */
export class RebuildAlreadyRunning extends Error {
  constructor(name: string) {
    super(`a rebuild of ${name} is already running`);
    this.name = 'RebuildAlreadyRunning';
  }
}

/** A projection could not apply an event of the log to its new tables: nothing was swapped. */
export class RebuildFailed extends Error {
  constructor(
    readonly projection: string,
    readonly position: Position,
    cause: unknown,
  ) {
    super(`rebuild of ${projection} failed at position ${position}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RebuildFailed';
  }
}

/**
 * Rebuilds one projection; see `rebuildProjections`.
 *
 * ```ts
 * const result = await rebuildProjection({ db, store, projection: postsProjection, lockConnection, logger });
 * ```
 */
export async function rebuildProjection(options: RebuildOptions & { projection: Projection }): Promise<RebuildResult> {
  const { projections } = await rebuildProjections({ ...options, projections: [options.projection] });
  return projections[0]!;
}

/** One projection's part of a rebuild. */
interface Target {
  projection: Projection;
  name: string;
  shadow: string;
  retired: string;
  tables: string[];
  /** Secondary indexes, dropped while the empty tables fill and built once at the end. */
  deferredIndexes: { name: string; definition: string }[];
  matches: (category: string, type: string) => boolean;
  /** Position of the last event given to it. */
  position: Position;
  events: number;
  /** Time spent in its batches' transactions and in building its indexes (ms). */
  applyMs: number;
  indexMs: number;
  /** Its batches in order, one after the other; never rejects (failures go to `failure`). */
  applying: Promise<void>;
  /** The projection's bulk load (`Projection.bulk`) during the main pass, if it has one. */
  bulk?: BulkLoad;
  log: Logger;
}

/**
 * Rebuilds projections from ONE read of the whole log while the API keeps serving their
 * current tables:
 *
 * 1. each projection's migrations create fresh tables in a schema of its own
 *    (`<schema>__rebuild_<name>`); their secondary (non-unique) indexes are set aside;
 * 2. the log is read once, in pages of `batchSize` positions (the next page read while this
 *    one is applied), each page fanned out to every projection whose filter matches — each
 *    projection applies its share in a transaction of its own, with its shadow schema alone on
 *    the search_path (a projection that touched another table would fail, not write to the
 *    live ones), the projections side by side on several connections. These transactions
 *    commit asynchronously: until the swap nothing depends on them;
 * 3. the secondary indexes are built on the filled tables (a sorted build, far cheaper than
 *    keeping them up row by row);
 * 4. one transaction then locks the projections' checkpoint rows — each live projector moves
 *    its row in every batch, so it waits here and never writes concurrently — applies the
 *    events that came meanwhile, moves the live tables out and the new ones in (`ALTER TABLE
 *    … SET SCHEMA`, indexes and constraints go with them), and sets each checkpoint to where
 *    its new tables are. Readers see the old tables until the commit, the new ones after;
 * 5. the old tables are dropped.
 *
 * A projection that fails stops the whole rebuild (`RebuildFailed`, logged with the
 * projection and position): nothing is swapped, the new tables are dropped, the live ones
 * stay as they were. The live projectors carry on: their next batch either continues from
 * the same checkpoint or, finding it moved, resumes from the new one.
 *
 * ```ts
 * const { projections: results, logEvents } = await rebuildProjections({ db, store, rawStore, projections, lockConnection, logger });
 * ```
 */
export async function rebuildProjections(options: RebuildOptions & { projections: readonly Projection[] }): Promise<RebuildAllResult> {
  const { db, logger } = options;
  const chosen = options.projections;
  if (chosen.length === 0) throw new Error('no projection to rebuild');
  for (const p of chosen) if (!/^[a-z][a-z0-9_-]{0,30}$/.test(p.name)) throw new Error(`projection name ${JSON.stringify(p.name)} cannot name a schema`);
  if (new Set(chosen.map((p) => p.name)).size !== chosen.length) throw new Error('a projection is named twice');
  const batchSize = options.batchSize ?? 10_000;
  const locks = await acquireLocks(options.lockConnection, chosen.map((p) => p.name));
  const startedAt = Date.now();
  const live = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
  const label = chosen.length === 1 ? chosen[0]!.name : `${chosen.length} projections`;
  const targets: Target[] = chosen.map((projection) => {
    const shadow = `${live}__rebuild_${projection.name}`;
    return {
      projection,
      name: projection.name,
      shadow,
      retired: `${live}__retired_${projection.name}`,
      tables: [],
      deferredIndexes: [],
      matches: matcher(projection.filter),
      position: 0n,
      events: 0,
      applyMs: 0,
      indexMs: 0,
      applying: Promise.resolve(),
      bulk: projection.bulk?.(),
      log: logger.child({ projection: projection.name, rebuild: shadow }),
    };
  });
  const dropAll = async () => {
    for (const t of targets) {
      await sql`drop schema if exists ${sql.id(t.shadow)} cascade`.execute(db);
      await sql`drop schema if exists ${sql.id(t.retired)} cascade`.execute(db);
    }
  };
  try {
    await dropAll();
    await Promise.all(
      targets.map(async (t) => {
        await sql`create schema ${sql.id(t.shadow)}`.execute(db);
        t.tables = await createTables(db, t.projection, t.shadow);
        t.deferredIndexes = await setSecondaryIndexesAside(db, t.shadow);
        t.log.info({ tables: t.tables }, 'rebuild started: new tables created beside the live ones');
      }),
    );

    const read = pageReader(options, chosen);
    const progress = new Progress({ label: `rebuild ${label}`, unit: 'log positions', stream: options.progressStream, logger });
    const head = (await options.store.headPosition()) ?? 0n;
    const pass = await applyPages(db, read, targets, 0n, batchSize, (position) => progress.update(Number(position), Number(head > position ? head : position)));
    await finishBulkLoads(db, targets);
    const end = head > pass.position ? head : pass.position;
    progress.update(Number(end), Number(end));
    const applied = targets.reduce((sum, t) => sum + t.events, 0);
    progress.finish(`${pass.events} log positions read once, ${applied} events applied; building indexes`);

    await buildIndexes(db, targets, 3);
    // what came while the indexes were built, before the live projectors are made to wait
    const since = await applyPages(db, read, targets, pass.position, batchSize, () => undefined);
    for (const t of targets) await sql`create schema ${sql.id(t.retired)}`.execute(db);
    const swapped = await swap(db, read, options.store, targets, live, since.position, batchSize);
    for (const t of targets) {
      await sql`drop schema ${sql.id(t.retired)} cascade`.execute(db);
      await sql`drop schema ${sql.id(t.shadow)} cascade`.execute(db);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const results = targets.map((t) => ({ projection: t.name, events: t.events, position: t.position, seconds, applySeconds: round(t.applyMs / 1000), indexSeconds: round(t.indexMs / 1000) }));
    for (const [i, t] of targets.entries()) t.log.info({ ...results[i], position: t.position.toString() }, 'rebuild done: the new tables are live');
    return { projections: results, logEvents: pass.events + since.events + swapped, applied: results.reduce((sum, r) => sum + r.events, 0), seconds };
  } catch (error) {
    const failed = error instanceof RebuildFailed ? targets.find((t) => t.name === error.projection) : undefined;
    (failed?.log ?? logger).error({ err: error, ...(error instanceof RebuildFailed ? { position: error.position.toString() } : {}) }, 'rebuild failed: nothing swapped, the live tables are untouched');
    // the live tables are untouched until the swap commits: only the new ones go
    await Promise.all(targets.map((t) => t.applying));
    await dropAll().catch(() => undefined);
    throw error;
  } finally {
    await Promise.all(locks.map((l) => l.release()));
  }
}

/** The rebuild locks of `names`, all or none. */
async function acquireLocks(connection: ClientConfig, names: string[]): Promise<SessionLock[]> {
  const locks: SessionLock[] = [];
  try {
    for (const name of names) {
      const lock = new SessionLock(connection, `projection-rebuild:${name}`);
      locks.push(lock);
      if (!(await lock.tryAcquire())) throw new RebuildAlreadyRunning(name);
    }
    return locks;
  } catch (error) {
    await Promise.all(locks.map((l) => l.release()));
    throw error;
  }
}

/** A page of the log in the two forms projections read it: as stored, and with personal data opened. */
interface Page {
  stored: RecordedEvent[];
  opened: RecordedEvent[];
}

/** A store that can open what its inner adapter returns (PersonalDataEventStore). */
interface OpensStored {
  inner: EventStore;
  openStored(events: RecordedEvent[]): Promise<RecordedEvent[]>;
}

function opensStoredOf(store: EventStore, raw: EventStore): OpensStored | undefined {
  const candidate = store as Partial<OpensStored>;
  return candidate.inner === raw && typeof candidate.openStored === 'function' ? (candidate as OpensStored) : undefined;
}

/**
 * Reads pages of the log with the union of the projections' filters, once: from the adapter
 * when some projection reads the stored form, opening the personal data of that same page
 * for the others.
 */
function pageReader(options: RebuildOptions, chosen: readonly Projection[]): (after: Position, maxCount: number) => Promise<Page> {
  const store = options.store;
  const raw = options.rawStore ?? store;
  const filter = unionOf(chosen.map((p) => p.filter));
  const readFrom = (s: EventStore, after: Position, maxCount: number) => s.readAll({ after: after === 0n ? undefined : after, maxCount, filter });
  const wantsStored = chosen.some((p) => p.storedForm);
  const wantsOpened = chosen.some((p) => !p.storedForm);
  if (raw === store || !wantsStored) return async (after, n) => same(await readFrom(store, after, n));
  if (!wantsOpened) return async (after, n) => same(await readFrom(raw, after, n));
  const opener = opensStoredOf(store, raw);
  if (opener) {
    return async (after, n) => {
      const stored = await readFrom(raw, after, n);
      return { stored, opened: await opener.openStored(stored) };
    };
  }
  // a reading store this cannot see through: the same page read in either form
  return async (after, n) => {
    const [stored, opened] = await Promise.all([readFrom(raw, after, n), readFrom(store, after, n)]);
    return { stored, opened };
  };
}

function same(events: RecordedEvent[]): Page {
  return { stored: events, opened: events };
}

/** A filter that lets through whatever any of `filters` does. */
function unionOf(filters: EventFilter[]): EventFilter {
  const categories = filters.every((f) => f.categories) ? [...new Set(filters.flatMap((f) => f.categories!))] : undefined;
  const types = filters.every((f) => f.types) ? [...new Set(filters.flatMap((f) => f.types!))] : undefined;
  return { ...(categories ? { categories } : {}), ...(types ? { types } : {}) };
}

/** The port's filter as a predicate: categories and types match exactly, both must hold when both are given. */
function matcher(filter: EventFilter): (category: string, type: string) => boolean {
  const categories = filter.categories ? new Set(filter.categories) : undefined;
  const types = filter.types ? new Set(filter.types) : undefined;
  return (category, type) => (categories === undefined || categories.has(category)) && (types === undefined || types.has(type));
}

/** Each target with the events of `page` it reads, in log order (targets with none left out). */
function fanOut(targets: Target[], page: Page): [Target, RecordedEvent[]][] {
  const shares = targets.map(() => [] as RecordedEvent[]);
  for (let i = 0; i < page.stored.length; i++) {
    const stored = page.stored[i]!;
    const category = stored.streamId.slice(0, stored.streamId.indexOf('-'));
    for (let k = 0; k < targets.length; k++) {
      const t = targets[k]!;
      if (t.matches(category, stored.type)) shares[k]!.push(t.projection.storedForm ? stored : page.opened[i]!);
    }
  }
  return targets.map((t, k) => [t, shares[k]!] as [Target, RecordedEvent[]]).filter(([, events]) => events.length > 0);
}

/**
 * Reads the log after `after` to its end, one page ahead, and hands each page out to the
 * targets: each applies its share in a transaction of its own (its shadow schema alone on the
 * search_path, committed asynchronously: until the swap nothing depends on it), one batch
 * after the other, side by side with the other targets. Returns where it stopped and how many
 * log events it read. The first failure stops it (`RebuildFailed`).
 */
async function applyPages(
  db: Kysely<ReadModels>,
  read: (after: Position, maxCount: number) => Promise<Page>,
  targets: Target[],
  after: Position,
  batchSize: number,
  onPage: (position: Position) => void,
): Promise<{ position: Position; events: number }> {
  let failure: RebuildFailed | undefined;
  let position = after;
  let events = 0;
  let next = read(position, batchSize);
  try {
    for (;;) {
      const page = await next;
      if (page.stored.length === 0) break;
      const last = page.stored.at(-1)!.position;
      next = page.stored.length < batchSize ? Promise.resolve({ stored: [], opened: [] }) : read(last, batchSize);
      // a failure met while this page is applied must not leave the read unobserved
      next.catch(() => undefined);
      const before = targets.map((t) => t.applying);
      for (const [t, share] of fanOut(targets, page)) {
        t.position = share.at(-1)!.position;
        t.events += share.length;
        t.applying = t.applying.then(async () => {
          if (failure) return;
          const began = performance.now();
          try {
            await inShadow(db, t, (trx) => (t.bulk ?? t.projection).apply(trx, share));
          } catch (error) {
            failure ??= new RebuildFailed(t.name, share[0]!.position, error);
          }
          t.applyMs += performance.now() - began;
        });
      }
      position = last;
      events += page.stored.length;
      onPage(position);
      // one page applying while the next is read and handed out: memory stays bounded
      await Promise.all(before);
      if (failure) throw failure;
    }
  } finally {
    await Promise.all(targets.map((t) => t.applying));
  }
  if (failure) throw failure;
  return { position, events };
}

/** Runs `work` in a transaction on the target's new tables (its search_path; commits not waited for on disk, as the swap is). */
async function inShadow(db: Kysely<ReadModels>, t: Target, work: (trx: Transaction<ReadModels>) => Promise<void>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select set_config('search_path', ${`"${t.shadow}"`}, true), set_config('synchronous_commit', 'off', true)`.execute(trx);
    await work(trx);
  });
}

/** Completes each bulk load (`BulkLoad.finish`) in its new tables; from then on batches go to `apply`. */
async function finishBulkLoads(db: Kysely<ReadModels>, targets: Target[]): Promise<void> {
  await Promise.all(
    targets.map(async (t) => {
      const bulk = t.bulk;
      if (!bulk) return;
      t.bulk = undefined;
      const began = performance.now();
      try {
        await inShadow(db, t, (trx) => bulk.finish(trx));
      } catch (error) {
        throw new RebuildFailed(t.name, t.position, error);
      }
      t.applyMs += performance.now() - began;
    }),
  );
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

/**
 * Drops the non-unique indexes of the tables in `schema` and returns their definitions.
 * Unique ones (primary keys, conflict targets) stay: a projection's upserts need them.
 */
async function setSecondaryIndexesAside(db: Kysely<ReadModels>, schema: string): Promise<{ name: string; definition: string }[]> {
  const { rows } = await sql<{ name: string; definition: string }>`
    select c.relname as name, pg_get_indexdef(c.oid) as definition
      from pg_index x join pg_class c on c.oid = x.indexrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${schema} and not x.indisunique and not x.indisprimary
     order by c.relname`.execute(db);
  for (const index of rows) await sql`drop index ${sql.id(schema, index.name)}`.execute(db);
  return rows;
}

/**
 * Builds the indexes set aside, on the filled tables: `concurrency` at a time across all the
 * targets, those of the projections that applied the most events first.
 */
async function buildIndexes(db: Kysely<ReadModels>, targets: Target[], concurrency: number): Promise<void> {
  const queue = [...targets].sort((a, b) => b.events - a.events).flatMap((target) => target.deferredIndexes.map((index) => ({ target, index })));
  const build = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const began = performance.now();
      await db.transaction().execute(async (trx) => {
        // the definition names the shadow schema: the index goes with its table at the swap
        await sql`set local maintenance_work_mem = '128MB'`.execute(trx);
        await sql.raw(job.index.definition).execute(trx);
      });
      job.target.indexMs += performance.now() - began;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, build));
}

/**
 * The swap, in one transaction for all the targets: catch up with what came after `after`,
 * move the new tables in, set the checkpoints. Returns the number of log events caught up.
 */
async function swap(
  db: Kysely<ReadModels>,
  read: (after: Position, maxCount: number) => Promise<Page>,
  store: EventStore,
  targets: Target[],
  live: string,
  after: Position,
  batchSize: number,
): Promise<number> {
  const names = targets.map((t) => t.name).sort();
  return db.transaction().execute(async (trx) => {
    const checkpoints = sql.id(live, 'pl_projection_checkpoints');
    for (const name of names) await sql`insert into ${checkpoints} (name, position, status) values (${name}, 0, 'running') on conflict (name) do nothing`.execute(trx);
    // each live projector moves its row in every batch: it waits here until the swap commits
    await sql`select position from ${checkpoints} where name = any(${names}::text[]) order by name for update`.execute(trx);
    // read through the store's own connections: a process whose projectors wait here needs a
    // pool of more connections than the projections rebuilt
    const headAtSwap = (await store.headPosition()) ?? 0n;
    const caughtUp = await applyRest(trx, read, targets, after, batchSize);
    await sql`set local search_path to ${sql.id(live)}`.execute(trx);
    for (const t of targets) {
      for (const table of t.tables) {
        await sql`alter table if exists ${sql.id(live, table)} set schema ${sql.id(t.retired)}`.execute(trx);
        await sql`alter table ${sql.id(t.shadow, table)} set schema ${sql.id(live)}`.execute(trx);
      }
      const passed = headAtSwap > t.position ? headAtSwap : t.position;
      await sql`update ${checkpoints} set position = ${t.position.toString()}::bigint, read_position = greatest(read_position, ${passed.toString()}::bigint),
                 status = 'running', error = null, updated_at = now() where name = ${t.name}`.execute(trx);
      await sql`select pg_notify(${PROGRESS_CHANNEL_PREFIX + live}, ${t.name})`.execute(trx);
    }
    return caughtUp;
  });
}

/** Applies, in `trx`, what the log holds after `after` to each target's new tables. */
async function applyRest(trx: Transaction<ReadModels>, read: (after: Position, maxCount: number) => Promise<Page>, targets: Target[], after: Position, batchSize: number): Promise<number> {
  let position = after;
  let events = 0;
  for (;;) {
    const page = await read(position, batchSize);
    if (page.stored.length === 0) return events;
    for (const [t, share] of fanOut(targets, page)) {
      await sql`set local search_path to ${sql.id(t.shadow)}`.execute(trx);
      try {
        await t.projection.apply(trx, share);
      } catch (error) {
        throw new RebuildFailed(t.name, share[0]!.position, error);
      }
      t.position = share.at(-1)!.position;
      t.events += share.length;
    }
    position = page.stored.at(-1)!.position;
    events += page.stored.length;
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}

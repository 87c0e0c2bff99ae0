import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Pool } from 'pg';
import type { NewEvent } from '../../src/eventstore/port';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { createLogger } from '../../src/platform/logger';
import { migrate } from '../../src/platform/migrations';
import { checkpointMigrations } from '../../src/projections/checkpoints';
import { membershipsProjection, userWorkspaces } from '../../src/projections/memberships';
import type { Projection } from '../../src/projections/projection';
import { Projector } from '../../src/projections/projector';
import { readModelDb } from '../../src/projections/read-models';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let pool: Pool;
let store: PostgresEventStore;
const logger = createLogger('silent');

beforeAll(async () => {
  database = await createTestDatabase('proj');
  pool = new Pool(database.connection);
  store = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 100 });
  await store.migrate();
  await migrate(pool, [...checkpointMigrations, ...membershipsProjection.migrations]);
  await pool.query('create table counted (id int primary key, n bigint not null)');
  await pool.query('insert into counted values (1, 0)');
});
afterAll(async () => {
  await store.close();
  await pool.end();
  await database.drop();
});

const event = (type: string, data: unknown): NewEvent => ({ id: randomUUID(), type, data });

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Adds each Tick's `by` to one counter: double-applying a batch would show in the sum. */
function counter(name: string, options: { failOn?: (by: number) => boolean; applied?: number[] } = {}): Projection {
  return {
    name,
    filter: { categories: ['tick'], types: ['Tick'] },
    migrations: [],
    async apply(trx, events) {
      for (const e of events) {
        const by = (e.data as { by: number }).by;
        if (options.failOn?.(by)) throw new Error(`cannot apply ${by}`);
        options.applied?.push(by);
      }
      const sum = events.reduce((s, e) => s + (e.data as { by: number }).by, 0);
      await sql`update counted set n = n + ${sum} where id = 1`.execute(trx);
    },
  };
}

async function counted(): Promise<number> {
  return Number((await pool.query('select n from counted where id = 1')).rows[0].n);
}

describe('Projector', () => {
  it('projects memberships from the log and answers userWorkspaces', async () => {
    const ws = randomUUID();
    const [alice, bob] = [randomUUID(), randomUUID()];
    await store.appendToStream(`workspace-${ws}`, [
      event('WorkspaceCreated', { workspaceId: ws, name: 'Acme', ownerId: alice, approvalPolicy: {} }),
      event('MemberAdded', { userId: alice, role: 'owner' }),
      event('MemberAdded', { userId: bob, role: 'editor' }),
      event('MemberRoleChanged', { userId: bob, from: 'editor', to: 'viewer' }),
    ]);
    const projector = new Projector({ db: readModelDb(pool), store, projection: membershipsProjection, lockConnection: database.connection, logger });
    projector.start();
    try {
      await until(async () => (await userWorkspaces(pool, bob)).length === 1);
      expect(await userWorkspaces(pool, bob)).toEqual([{ id: ws, name: 'Acme', role: 'viewer' }]);
      await store.appendToStream(`workspace-${ws}`, [event('MemberRemoved', { userId: bob })]);
      await until(async () => (await userWorkspaces(pool, bob)).length === 0);
      expect(await userWorkspaces(pool, alice)).toEqual([{ id: ws, name: 'Acme', role: 'owner' }]);
    } finally {
      await projector.stop();
    }
  });

  it('applies every event once across restarts: rows and checkpoint move together', async () => {
    await pool.query('update counted set n = 0');
    const projection = counter('restarts');
    for (let i = 0; i < 30; i++) await store.appendToStream(`tick-${i % 3}`, [event('Tick', { by: 1 }), event('Tick', { by: 2 })]);
    const first = new Projector({ db: readModelDb(pool), store, projection, lockConnection: database.connection, logger, batchSize: 7 });
    first.start();
    await until(async () => (await counted()) >= 30);
    await first.stop();
    for (let i = 0; i < 10; i++) await store.appendToStream(`tick-${i % 3}`, [event('Tick', { by: 10 })]);
    const second = new Projector({ db: readModelDb(pool), store, projection, lockConnection: database.connection, logger, batchSize: 7 });
    second.start();
    await until(async () => (await counted()) === 190);
    await new Promise((r) => setTimeout(r, 200));
    await second.stop();
    expect(await counted()).toBe(190);
  });

  it('commits its batches without waiting for the WAL flush, rows and checkpoint in one transaction', async () => {
    const settings: string[] = [];
    const projection: Projection = {
      name: 'async-commit',
      filter: { categories: ['tick'], types: ['Tick'] },
      migrations: [],
      async apply(trx) {
        const { rows } = await sql<{ s: string; t: string }>`select current_setting('synchronous_commit') as s, pg_current_xact_id_if_assigned()::text as t`.execute(trx);
        // the checkpoint was moved first, in this transaction: it has an id
        expect(rows[0]!.t).not.toBeNull();
        settings.push(rows[0]!.s);
      },
    };
    await store.appendToStream('tick-async', [event('Tick', { by: 0 })]);
    const projector = new Projector({ db: readModelDb(pool), store, projection, lockConnection: database.connection, logger });
    projector.start();
    try {
      await until(() => settings.length > 0);
    } finally {
      await projector.stop();
    }
    expect(new Set(settings)).toEqual(new Set(['off']));
    // and only there: the session's own setting is untouched
    expect((await pool.query('show synchronous_commit')).rows[0].synchronous_commit).toBe('on');
  });

  it('keeps one active instance and lets a standby take over when the leader dies', async () => {
    await pool.query('update counted set n = 0');
    const projection = counter('leader');
    const a = new Projector({ db: readModelDb(pool), store, projection, lockConnection: database.connection, logger, retryMs: 20 });
    const b = new Projector({ db: readModelDb(pool), store, projection, lockConnection: database.connection, logger, retryMs: 20 });
    a.start();
    await until(() => a.status.state === 'running');
    b.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(b.status.state).toBe('standby');
    const before = await counted();
    await store.appendToStream('tick-x', [event('Tick', { by: 100 })]);
    await until(async () => (await counted()) === before + 100);
    // the leader's lock connection dies: the standby must take over
    await pool.query(`select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_try_advisory_lock%' and query like '%projection%' and pid <> pg_backend_pid() and backend_type = 'client backend' and state = 'idle'`);
    await a.stop();
    await until(() => b.status.state === 'running');
    await store.appendToStream('tick-x', [event('Tick', { by: 1000 })]);
    await until(async () => (await counted()) === before + 1100);
    await b.stop();
    expect(await counted()).toBe(before + 1100);
  });

  it('stops in a visible failed state on an event it cannot apply, skips nothing, and resumes after a fix', async () => {
    await pool.query('update counted set n = 0');
    const applied: number[] = [];
    let broken = true;
    const projection = counter('fails', { failOn: (by) => broken && by === 13, applied });
    const stream = `tick-${randomUUID().slice(0, 8)}`;
    await store.appendToStream(stream, [event('Tick', { by: 1 })]);
    const projector = new Projector({ db: readModelDb(pool), store, projection, lockConnection: database.connection, logger, retryMs: 5, maxAttempts: 3 });
    projector.start();
    await until(() => projector.status.state === 'running');
    const checkpointBefore = await until(async () => (await counted()) > 0).then(() => projector.status.checkpoint);
    await store.appendToStream(stream, [event('Tick', { by: 13 })]);
    await until(() => projector.status.state === 'failed');
    const row = (await pool.query(`select status, error, position from pl_projection_checkpoints where name = 'fails'`)).rows[0];
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/cannot apply 13/);
    expect(BigInt(row.position)).toBe(checkpointBefore);
    await projector.stop();
    broken = false;
    const restarted = new Projector({ db: readModelDb(pool), store, projection, lockConnection: database.connection, logger });
    restarted.start();
    await until(async () => BigInt((await pool.query(`select position from pl_projection_checkpoints where name = 'fails'`)).rows[0].position) > checkpointBefore);
    await restarted.stop();
    expect((await pool.query(`select status from pl_projection_checkpoints where name = 'fails'`)).rows[0].status).toBe('running');
    expect(applied.filter((by) => by === 13)).toHaveLength(1);
  });
});

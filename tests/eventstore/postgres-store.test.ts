/**
 * PostgreSQL-specific guarantees beyond the shared contract: gap-free reading while
 * transactions commit late, one round trip per append, index use, NOTIFY wake-ups with a
 * polling fallback, failure isolation inside a group commit, and migrations.
 */
import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import type { RecordedEvent, Subscription } from '../../src/eventstore/port';
import { eventLogMigrations } from '../../src/eventstore/postgres/schema';
import { migrate } from '../../src/platform/migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectRevisionOrder, freshCategory, newEvent, readCategory, take } from './contract';

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase('pgs');
  store = new PostgresEventStore({ connection: database.connection, pollIntervalMs: 60_000 });
  await store.migrate();
});

afterAll(async () => {
  await store.close();
  await database.drop();
});

function rawBatch(streamId: string, count: number): string {
  const events = Array.from({ length: count }, () => `{"id":"${randomUUID()}","t":"Raw","v":1,"o":null,"d":{},"m":{}}`);
  return JSON.stringify([{ s: streamId, c: streamId.split('-')[0], x: 'any', e: [] }]).replace('"e":[]', `"e":[${events.join(',')}]`);
}

describe('gap-free reading', () => {
  it('yields every committed event exactly once, in readAll order, while writers commit late', async () => {
    const category = freshCategory();
    const seen: RecordedEvent[] = [];
    const subscriber = store.subscribe({ filter: { categories: [category] } });
    const collecting = (async () => {
      for await (const event of subscriber) seen.push(event);
    })();
    let total = 0;
    // 16 writers; every fourth holds its transaction open after writing, so others queue behind
    // it and commit after it would have in a sequence-numbered log
    const writers = Array.from({ length: 16 }, async (_, w) => {
      const client = new Client({ connectionString: database.connectionString });
      await client.connect();
      try {
        for (let i = 0; i < 10; i++) {
          const count = 1 + ((w + i) % 3);
          if (w % 4 === 0 && i % 3 === 0) {
            await client.query('begin');
            await client.query('select * from pl_append($1::jsonb)', [rawBatch(`${category}-w${w}`, count)]);
            await new Promise((r) => setTimeout(r, 20));
            await client.query('commit');
            // what the store does after every commit: tell other processes' subscribers
            await client.query(`select pg_notify('pl_events_' || current_schema(), null)`);
          } else {
            await store.appendToStream(`${category}-w${w}`, Array.from({ length: count }, () => newEvent()));
          }
          total += count;
        }
      } finally {
        await client.end();
      }
    });
    await Promise.all(writers);
    const deadline = Date.now() + 10_000;
    while (seen.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    await subscriber.close();
    await collecting;
    const all = await readCategory(store, category, 1000);
    expect(all).toHaveLength(total);
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(new Set(seen.map((e) => e.id)).size).toBe(total);
    expectRevisionOrder(all);
  });
});

describe('appends', () => {
  it('makes one round trip per append', async () => {
    const query = jest.spyOn(store.pool, 'query');
    // the NOTIFY that tells other processes comes after the commit, outside the append
    const statements = () => query.mock.calls.filter(([config]) => !/pg_notify|current_schema/.test(JSON.stringify(config)));
    try {
      await store.appendToStream(`${freshCategory()}-1`, [newEvent(), newEvent()]);
      expect(statements()).toHaveLength(1);
      expect(JSON.stringify(statements()[0]![0])).toContain('pl_append');
    } finally {
      query.mockRestore();
    }
  });

  it('gathers concurrent appends into few statements', async () => {
    const query = jest.spyOn(store.pool, 'query');
    try {
      const category = freshCategory();
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.appendToStream(`${category}-${i}`, [newEvent()])));
      expect(query.mock.calls.filter(([config]) => JSON.stringify(config).includes('pl_append')).length).toBeLessThanOrEqual(5);
      expect(await readCategory(store, category)).toHaveLength(100);
    } finally {
      query.mockRestore();
    }
  });

  it('keeps appends to one stream in arrival order within a burst', async () => {
    const id = `${freshCategory()}-1`;
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendToStream(id, [newEvent('Happened', { i })])));
    expect((await store.readStream(id)).map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('isolates an append the database refuses from the others of its batch', async () => {
    const admin = new Client({ connectionString: database.connectionString });
    await admin.connect();
    await admin.query(`
      create function pl_test_poison() returns trigger language plpgsql as $$
      begin
        if new.data ? 'poison' then raise exception 'poisoned event'; end if;
        return new;
      end $$;
      create trigger pl_test_poison before insert on pl_events for each row execute function pl_test_poison();`);
    try {
      const category = freshCategory();
      const good = Array.from({ length: 8 }, (_, i) => store.appendToStream(`${category}-${i}`, [newEvent()]));
      const bad = store.appendToStream(`${category}-bad`, [newEvent('Happened', { poison: true })]).catch((e: Error) => e);
      await expect(Promise.all(good)).resolves.toHaveLength(8);
      expect(String(await bad)).toMatch(/poisoned event/);
      expect(await readCategory(store, category)).toHaveLength(8);
    } finally {
      await admin.query('drop trigger pl_test_poison on pl_events; drop function pl_test_poison()');
      await admin.end();
    }
  });

  it('returns the stored result when retried with a subset of a stored batch', async () => {
    const id = `${freshCategory()}-1`;
    const [a, b] = [newEvent(), newEvent()];
    await store.appendToStream(id, [a, b]);
    const again = await store.appendToStream(id, [a]);
    expect(again.nextRevision).toBe(1n);
    expect(await store.readStream(id)).toHaveLength(2);
  });
});

describe('the three SQL functions decide alike', () => {
  type Case = { s: string; x: string; ids: string[] };
  type Path = 'pl_append' | 'pl_append_one' | 'pl_append_single';
  const events = (ids: string[]) => ids.map((id) => ({ id, t: 'Raw', v: 1, o: null, d: { id }, m: {} }));

  /**
   * The same situations, through pl_append (one batch, or a batch per case where a stream
   * recurs, since a batch holds a stream once), pl_append_one or pl_append_single (one call each).
   */
  async function decide(path: Path, cases: Case[]): Promise<unknown[]> {
    if (path === 'pl_append' && new Set(cases.map((c) => c.s)).size < cases.length) {
      const rows = [];
      for (const c of cases) rows.push(...(await decide(path, [c])));
      return rows;
    }
    if (path === 'pl_append') {
      const batch = cases.map((c) => ({ s: c.s, c: c.s.split('-')[0], x: c.x, e: events(c.ids) }));
      const { rows } = await store.pool.query('select outcome, next_revision, actual from pl_append($1::jsonb)', [JSON.stringify(batch)]);
      return rows;
    }
    const rows = [];
    for (const c of cases) {
      const category = c.s.split('-')[0];
      const result =
        path === 'pl_append_one'
          ? await store.pool.query('select outcome, next_revision, actual from pl_append_one($1, $2, $3, $4::uuid[], $5::jsonb)', [c.s, category, c.x, c.ids, JSON.stringify(events(c.ids))])
          : await store.pool.query('select outcome, next_revision, actual from pl_append_single($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)', [c.s, category, c.x, c.ids[0], 'Raw', 1, null, JSON.stringify({ id: c.ids[0] }), '{}']);
      rows.push(result.rows[0]);
    }
    return rows;
  }

  it.each<Path>(['pl_append', 'pl_append_one'])('decides ok, duplicate, mixed and every conflict the same way (%s)', async (path) => {
    const category = freshCategory();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await store.appendToStream(`${category}-stored`, [{ id: a, type: 'Raw', data: {} }, { id: b, type: 'Raw', data: {} }]);
    await store.appendToStream(`${category}-exists`, [{ id: randomUUID(), type: 'Raw', data: {} }]);
    const rows = await decide(path, [
      { s: `${category}-new`, x: 'no_stream', ids: [randomUUID(), randomUUID()] },
      { s: `${category}-stored`, x: 'no_stream', ids: [a, b] },
      { s: `${category}-stored2`, x: 'any', ids: [c, a] },
      { s: `${category}-exists`, x: '5', ids: [randomUUID()] },
      { s: `${category}-missing`, x: 'stream_exists', ids: [randomUUID()] },
      { s: `${category}-missing2`, x: '0', ids: [randomUUID()] },
      { s: `${category}-other`, x: 'any', ids: [a] },
    ]);
    expect(rows).toEqual([
      { outcome: 'ok', next_revision: '2', actual: null },
      { outcome: 'duplicate', next_revision: '2', actual: '1' },
      { outcome: 'mixed', next_revision: null, actual: null },
      { outcome: 'conflict', next_revision: null, actual: '0' },
      { outcome: 'conflict', next_revision: null, actual: null },
      { outcome: 'conflict', next_revision: null, actual: null },
      { outcome: 'mixed', next_revision: null, actual: null },
    ]);
  });

  it.each<Path>(['pl_append', 'pl_append_one', 'pl_append_single'])('decides every one-event append the same way (%s)', async (path) => {
    const category = freshCategory();
    const [a, b] = [randomUUID(), randomUUID()];
    await store.appendToStream(`${category}-stored`, [{ id: a, type: 'Raw', data: {} }, { id: b, type: 'Raw', data: {} }]);
    await store.appendToStream(`${category}-exists`, [{ id: randomUUID(), type: 'Raw', data: {} }]);
    const rows = await decide(path, [
      { s: `${category}-new`, x: 'no_stream', ids: [randomUUID()] },
      { s: `${category}-exists`, x: 'stream_exists', ids: [randomUUID()] },
      { s: `${category}-exists`, x: '1', ids: [randomUUID()] },
      { s: `${category}-any`, x: 'any', ids: [randomUUID()] },
      { s: `${category}-stored`, x: 'no_stream', ids: [a] },
      { s: `${category}-stored`, x: 'any', ids: [b] },
      { s: `${category}-other`, x: 'any', ids: [a] },
      { s: `${category}-exists`, x: 'no_stream', ids: [randomUUID()] },
      { s: `${category}-exists`, x: '7', ids: [randomUUID()] },
      { s: `${category}-missing`, x: 'stream_exists', ids: [randomUUID()] },
      { s: `${category}-missing`, x: '0', ids: [randomUUID()] },
    ]);
    expect(rows).toEqual([
      { outcome: 'ok', next_revision: '1', actual: null },
      { outcome: 'ok', next_revision: '2', actual: '0' },
      { outcome: 'ok', next_revision: '3', actual: '1' },
      { outcome: 'ok', next_revision: '1', actual: null },
      { outcome: 'duplicate', next_revision: '1', actual: '1' },
      { outcome: 'duplicate', next_revision: '2', actual: '1' },
      { outcome: 'mixed', next_revision: null, actual: null },
      { outcome: 'conflict', next_revision: null, actual: '2' },
      { outcome: 'conflict', next_revision: null, actual: '2' },
      { outcome: 'conflict', next_revision: null, actual: null },
      { outcome: 'conflict', next_revision: null, actual: null },
    ]);
  });

  it('stores what pl_append_single was given, with the time it was given or the clock', async () => {
    const stream = `${freshCategory()}-single`;
    const at = new Date('2026-03-29T01:30:00.123Z');
    await store.appendToStream(stream, [{ id: randomUUID(), type: 'Timed', schemaVersion: 3, data: { n: 1 }, metadata: { m: 'x' }, occurredAt: at }]);
    await store.appendToStream(stream, [{ id: randomUUID(), type: 'Untimed', data: { n: 2 } }]);
    const read = await store.readStream(stream);
    expect(read.map((e) => [e.type, e.schemaVersion, e.data, e.revision])).toEqual([
      ['Timed', 3, { n: 1 }, 0n],
      ['Untimed', 1, { n: 2 }, 1n],
    ]);
    expect(read[0]!.occurredAt.toISOString()).toBe(at.toISOString());
    expect(read[0]!.metadata).toMatchObject({ m: 'x' });
    expect(Math.abs(read[1]!.occurredAt.getTime() - Date.now())).toBeLessThan(60_000);
  });
});

describe('reads use indexes', () => {
  beforeAll(async () => {
    const categories = Array.from({ length: 20 }, () => freshCategory());
    for (let i = 0; i < 20; i++) {
      await store.appendToStream(`${categories[i]}-s${i}`, Array.from({ length: 250 }, (_, j) => newEvent(`Type${j % 25}`)));
    }
    await store.pool.query('analyze pl_events');
  });

  async function plan(sql: string, params: unknown[]): Promise<string> {
    const { rows } = await store.pool.query<{ 'QUERY PLAN': string }>(`explain ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  it('reads one stream without scanning others', async () => {
    const text = await plan(`select * from pl_events where stream_id = $1 order by revision limit 100`, ['x-1']);
    expect(text).toMatch(/Index Scan using pl_events_stream_revision/);
  });

  it('reads a category and a type through their indexes', async () => {
    expect(await plan(`select * from pl_events where position > 0 and category = any($1::text[]) order by position limit 100`, [['x']])).toMatch(/pl_events_category/);
    expect(await plan(`select * from pl_events where position > 0 and type = any($1::text[]) order by position limit 100`, [['Nope']])).toMatch(/pl_events_type/);
  });
});

describe('live wake-ups', () => {
  /** Appends one event and expects the subscription to yield it well before any polling would. */
  async function expectDeliveredSoon(subscription: Subscription, category: string): Promise<void> {
    const started = Date.now();
    const receiving = take(subscription, 1, 5_000);
    await store.appendToStream(`${category}-1`, [newEvent()]);
    await receiving;
    expect(Date.now() - started).toBeLessThan(2_000);
  }

  it('wakes a subscriber in another store instance by NOTIFY, not by polling', async () => {
    const reader = new PostgresEventStore({ connection: database.connection, pollIntervalMs: 60_000 });
    const category = freshCategory();
    const subscription = reader.subscribe({ filter: { categories: [category] } });
    try {
      await take(subscription, 0);
      await new Promise((r) => setTimeout(r, 200)); // LISTEN in place, subscription waiting
      await expectDeliveredSoon(subscription, category);
    } finally {
      await subscription.close();
      await reader.close();
    }
  });

  it('falls back to polling and reconnects when the notification connection is lost', async () => {
    const reader = new PostgresEventStore({ connection: database.connection, pollIntervalMs: 150 });
    const category = freshCategory();
    const subscription = reader.subscribe({ filter: { categories: [category] } });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const admin = new Client({ connectionString: database.connectionString });
      await admin.connect();
      const { rowCount } = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen%' and query ilike $1`, [`%${database.schema}%`]);
      await admin.end();
      expect(rowCount).toBeGreaterThanOrEqual(1);
      await store.appendToStream(`${category}-1`, [newEvent()]);
      expect(await take(subscription, 1, 5_000)).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 500)); // the listener has reconnected
      await expectDeliveredSoon(subscription, category);
    } finally {
      await subscription.close();
      await reader.close();
    }
  });

  it('resumes after a restart of the store from its checkpoint with no gap and no duplicate', async () => {
    const category = freshCategory();
    await store.appendToStream(`${category}-1`, Array.from({ length: 4 }, (_, i) => newEvent('Happened', { i })));
    const first = new PostgresEventStore({ connection: database.connection });
    const sub1 = first.subscribe({ filter: { categories: [category] } });
    const before = await take(sub1, 2);
    await sub1.close();
    await first.close();
    await store.appendToStream(`${category}-1`, [newEvent('Happened', { i: 4 })]);
    const second = new PostgresEventStore({ connection: database.connection });
    const sub2 = second.subscribe({ after: before[1]!.position, filter: { categories: [category] } });
    const after = await take(sub2, 3);
    await sub2.close();
    await second.close();
    expect([...before, ...after].map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('the shared tail of the log', () => {
  /** Statements of `pool` that read the log's table. */
  function countLogReads(pool: Pool): { count: () => number; restore: () => void } {
    let reads = 0;
    const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    const spy = jest.spyOn(pool, 'query').mockImplementation(((config: unknown, ...rest: unknown[]) => {
      const text = typeof config === 'string' ? config : (config as { text?: string }).text;
      if (text && /from pl_events/.test(text) && !/pl_append/.test(text)) reads++;
      return original(config, ...rest);
    }) as never);
    return { count: () => reads, restore: () => spy.mockRestore() };
  }

  it('serves ten subscribers at the head from one read per commit, each with every event in order, and one far behind from the table', async () => {
    const pool = new Pool({ ...database.connection, max: 8 });
    const local = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 60_000, tailEvents: 50 });
    const category = freshCategory();
    const other = freshCategory();
    // 80 events before anyone subscribes: more than the tail keeps
    for (let i = 0; i < 8; i++) await local.appendToStream(`${category}-old${i}`, Array.from({ length: 10 }, () => newEvent()));
    const subscriptions = Array.from({ length: 10 }, (_, i) => local.subscribe({ filter: { categories: i % 2 === 0 ? [category] : [category, other] } }));
    try {
      // each catches up from the table and waits at the head
      for (const subscription of subscriptions) expect(await take(subscription, 80)).toHaveLength(80);
      const reads = countLogReads(pool);
      const receiving = subscriptions.map((subscription, i) => take(subscription, i % 2 === 0 ? 20 : 40));
      for (let i = 0; i < 20; i++) {
        await Promise.all([local.appendToStream(`${category}-new${i}`, [newEvent('Happened', { i })]), local.appendToStream(`${other}-x${i}`, [newEvent()])]);
      }
      const received = await Promise.all(receiving);
      const mine = (await readCategory(local, category)).slice(80);
      const both = (await local.readAll({ after: mine[0]!.position - 1n, maxCount: 1000 })).filter((e) => e.streamId.startsWith(`${category}-`) || e.streamId.startsWith(`${other}-`));
      for (const [i, events] of received.entries()) {
        const expected = i % 2 === 0 ? mine : both;
        expect(events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      }
      expect(mine).toHaveLength(20);
      expect(both).toHaveLength(40);
      // each of the ten read the table on every wake-up before (≈ 200 reads here); now ≈ 25
      expect(reads.count()).toBeLessThan(60);
      reads.restore();
      // a subscriber starting from the beginning is behind the tail: it reads the table, with no gap
      const late = local.subscribe({ filter: { categories: [category] } });
      const all = await take(late, 100);
      await late.close();
      expect(all.map((e) => e.id)).toEqual((await readCategory(local, category)).map((e) => e.id));
    } finally {
      await Promise.all(subscriptions.map((s) => s.close()));
      await local.close();
      await pool.end();
    }
  });

  it('keeps to its byte budget with large events, and every subscriber still gets every event', async () => {
    const local = new PostgresEventStore({ connection: database.connection, pollIntervalMs: 60_000, tailBytes: 3000 });
    const category = freshCategory();
    const subscriptions = Array.from({ length: 3 }, () => local.subscribe({ filter: { categories: [category] } }));
    try {
      for (const subscription of subscriptions) await take(subscription, 0);
      await local.appendToStream(`${category}-0`, [newEvent()]);
      for (const subscription of subscriptions) await take(subscription, 1);
      const receiving = subscriptions.map((subscription) => take(subscription, 12));
      // ≈ 1.2 KB each, compressed or not: the tail holds two or three at a time
      for (let i = 0; i < 6; i++) {
        await local.appendToStream(`${category}-${i}`, [newEvent('Big', { i, text: randomUUID().repeat(30) }), newEvent('Big', { i, text: `${i}`.repeat(1200) })]);
      }
      const expected = (await readCategory(local, category)).slice(1).map((e) => e.id);
      for (const events of await Promise.all(receiving)) expect(events.map((e) => e.id)).toEqual(expected);
    } finally {
      await Promise.all(subscriptions.map((s) => s.close()));
      await local.close();
    }
  });

  it('reads again for the commits of another store instance, woken by NOTIFY', async () => {
    const reader = new PostgresEventStore({ connection: database.connection, pollIntervalMs: 60_000 });
    const category = freshCategory();
    const subscriptions = [reader.subscribe({ filter: { categories: [category] } }), reader.subscribe({ filter: { types: ['Tailed'] } })];
    try {
      await take(subscriptions[0]!, 0);
      await new Promise((r) => setTimeout(r, 200)); // LISTEN in place
      for (let i = 0; i < 5; i++) {
        const receiving = subscriptions.map((s) => take(s, 1, 5_000));
        await store.appendToStream(`${category}-1`, [newEvent('Tailed', { i })]);
        const [a, b] = await Promise.all(receiving);
        expect((a![0]!.data as { i: number }).i).toBe(i);
        expect((b![0]!.data as { i: number }).i).toBe(i);
      }
    } finally {
      await Promise.all(subscriptions.map((s) => s.close()));
      await reader.close();
    }
  });
});

describe('migrations', () => {
  it('replaces pl_append in a log migrated before 0003, and the replaced function appends', async () => {
    const fresh = await createTestDatabase('mig3');
    const pool = new Pool(fresh.connection);
    const definition = async () =>
      (await pool.query<{ def: string }>("select pg_get_functiondef('pl_append(jsonb)'::regprocedure) as def")).rows[0]!.def;
    try {
      const before = eventLogMigrations.filter((m) => m.id < '0003');
      expect(await migrate(pool, before)).toEqual(['0001_event_log', '0002_append_single']);
      // stand in for the version 0001 first shipped (any other body will do): appends fail until 0003 replaces it
      await pool.query(`create or replace function pl_append(p_batch jsonb) returns table (idx int, outcome text, next_revision bigint, last_position bigint, actual bigint) language sql as $$ select 0, 'old', null::bigint, null::bigint, null::bigint $$`);
      expect(await definition()).not.toContain('cur as materialized');
      const store = new PostgresEventStore({ connection: fresh.connection, pool });
      expect(await store.migrate()).toEqual(['0003_append_head_once']);
      expect(await definition()).toContain('cur as materialized');
      const a = `mig-${randomUUID()}`;
      const b = `mig-${randomUUID()}`;
      // two appends in the same turn go out as one pl_append batch
      const [ra, rb] = await Promise.all([
        store.appendToStream(a, [newEvent('A'), newEvent('A')], { expectedRevision: 'no_stream' }),
        store.appendToStream(b, [newEvent('B')], { expectedRevision: 'no_stream' }),
      ]);
      expect([ra.nextRevision, rb.nextRevision]).toEqual([2n, 1n]);
      expect((await store.readStream(a)).map((e) => e.revision)).toEqual([0n, 1n]);
    } finally {
      await pool.end();
      await fresh.drop();
    }
  });

  it('applies nothing the second time and is safe when two processes start together', async () => {
    const fresh = await createTestDatabase('mig');
    const pools = [new Pool(fresh.connection), new Pool(fresh.connection)];
    try {
      const results = await Promise.all(pools.map((pool) => new PostgresEventStore({ connection: fresh.connection, pool }).migrate()));
      expect(results.flat()).toEqual(['0001_event_log', '0002_append_single', '0003_append_head_once']);
      expect(await migrate(pools[0]!, [])).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await fresh.drop();
    }
  });

  it('rolls back a failing migration and names it', async () => {
    const fresh = await createTestDatabase('mig');
    const pool = new Pool(fresh.connection);
    try {
      await expect(migrate(pool, [{ id: '0001_ok', sql: 'create table a (x int)' }, { id: '0002_bad', sql: 'create table b (x nope)' }])).rejects.toThrow(/migration 0002_bad failed/);
      const { rows } = await pool.query('select id from pl_migrations');
      expect(rows).toEqual([{ id: '0001_ok' }]);
      await expect(migrate(pool, [{ id: 'x', sql: '' }, { id: 'x', sql: '' }])).rejects.toThrow(/unique/);
    } finally {
      await pool.end();
      await fresh.drop();
    }
  });
});

import { sql } from 'kysely';
import { Pool } from 'pg';
import { insertRows } from '../../src/projections/bulk';
import { readModelDb } from '../../src/projections/read-models';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase('bulk');
  pool = new Pool({ ...database.connection, max: 2 });
  await pool.query(`create table t (id bigint primary key, name text, tags text[] not null, doc jsonb not null, at timestamptz, flag boolean not null default true)`);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

describe('insertRows', () => {
  it('inserts rows of every column kind, more than one statement holds, as the values were', async () => {
    const at = new Date(Date.UTC(2026, 10, 26, 9, 30, 15, 123));
    const rows = Array.from({ length: 5003 }, (_, i) => ({
      id: String(2 ** 53 + i * 2),
      name: i % 2 ? `it's "quoted" \\ ${i}` : null,
      tags: i % 3 ? ['a', `b,{${i}}`] : [],
      doc: { n: i, list: [1, 'two'], nested: { ok: true } },
      at: i % 5 ? at : null,
    }));
    await insertRows(readModelDb(pool), 't', rows);
    const { rows: back } = await pool.query<{ id: string; name: string | null; tags: string[]; doc: unknown; at: Date | null; flag: boolean }>('select * from t order by id');
    expect(back).toHaveLength(5003);
    // columns left out take their default
    expect(back.every((r) => r.flag)).toBe(true);
    expect(back.map(({ flag: _flag, ...r }) => r)).toEqual(rows);
  });

  it('appends an on conflict clause as written, and does nothing for no rows', async () => {
    await insertRows(readModelDb(pool), 't', []);
    const db = readModelDb(pool);
    await insertRows(db, 't', [{ id: '1', tags: ['x'], doc: {} }, { id: String(2 ** 53), tags: ['y'], doc: [] }], sql`on conflict (id) do update set tags = excluded.tags`);
    const { rows } = await pool.query<{ id: string; tags: string[]; name: string | null }>(`select id, tags, name from t where id in ('1', $1) order by id`, [String(2 ** 53)]);
    expect(rows).toEqual([
      { id: '1', tags: ['x'], name: null },
      { id: String(2 ** 53), tags: ['y'], name: null },
    ]);
  });
});

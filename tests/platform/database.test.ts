import { Client, Pool } from 'pg';
import { endPool } from '../../src/platform/database';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('dbend');
});
afterAll(async () => {
  await database.drop();
});

describe('endPool', () => {
  it('resolves once every connection of the pool is gone from the server', async () => {
    const name = `endpool-${process.pid}-${Date.now()}`;
    const pool = new Pool({ ...database.connection, application_name: name });
    const closed: boolean[] = [];
    pool.on('connect', (client) => {
      const i = closed.push(false) - 1;
      client.on('end', () => (closed[i] = true));
    });
    // three connections at once, then idle in the pool
    await Promise.all([1, 2, 3].map(() => pool.query('select pg_sleep(0.05)')));
    expect(pool.totalCount).toBe(3);
    const admin = new Client(database.connection);
    await admin.connect();
    try {
      await endPool(pool);
      // each connection's socket has closed by now (pool.end() resolves before that)
      expect(closed).toEqual([true, true, true]);
      const { rows } = await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1', [name]);
      expect(Number(rows[0]!.n)).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('ends a pool that never connected at once', async () => {
    const pool = new Pool(database.connection);
    await endPool(pool);
    expect(pool.ended).toBe(true);
  });
});

import { Pool } from 'pg';
import { authMigrations } from '../../src/auth/migrations';
import { migrate } from '../../src/platform/migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** A schema of its own with the auth tables, and a pool on it. */
export async function authDatabase(): Promise<{ database: TestDatabase; pool: Pool; close(): Promise<void> }> {
  const database = await createTestDatabase('auth');
  const pool = new Pool({ ...database.connection, max: 24 });
  await migrate(pool, authMigrations);
  return {
    database,
    pool,
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}

/** A clock the test moves by hand. */
export class TestClock {
  private current: Date;

  constructor(start = new Date('2030-01-01T00:00:00Z')) {
    this.current = start;
  }

  readonly now = (): Date => new Date(this.current);

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** Every text and bytea value of a table, as one string, to prove a secret is absent from it. */
export async function tableDump(pool: Pool, table: string): Promise<string> {
  const { rows } = await pool.query<{ dump: string }>(`select coalesce(string_agg(t::text, ' '), '') as dump from ${table} t`);
  return rows[0]!.dump;
}

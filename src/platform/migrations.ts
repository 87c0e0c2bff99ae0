import type { Pool } from 'pg';

/** One versioned schema change. Ids sort in the order they apply; applied ids never change. */
export interface Migration {
  id: string;
  sql: string;
}

/**
 * Applies the migrations not yet recorded in `pl_migrations`, each in its own transaction,
 * under an advisory lock so that two processes starting together migrate once.
 * Returns the ids it applied.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[]): Promise<string[]> {
  const ids = migrations.map((m) => m.id);
  if (new Set(ids).size !== ids.length) throw new Error('migration ids must be unique');
  const client = await pool.connect();
  try {
    await client.query(`select pg_advisory_lock(hashtext('postledger:migrate:' || current_schema()))`);
    try {
      await client.query(`create table if not exists pl_migrations (id text primary key, applied_at timestamptz not null default now())`);
      const { rows } = await client.query<{ id: string }>('select id from pl_migrations');
      const applied = new Set(rows.map((r) => r.id));
      const done: string[] = [];
      for (const migration of [...migrations].sort((a, b) => a.id.localeCompare(b.id))) {
        if (applied.has(migration.id)) continue;
        await client.query('begin');
        try {
          await client.query(migration.sql);
          await client.query('insert into pl_migrations (id) values ($1)', [migration.id]);
          await client.query('commit');
        } catch (error) {
          await client.query('rollback');
          throw new Error(`migration ${migration.id} failed: ${(error as Error).message}`, { cause: error });
        }
        done.push(migration.id);
      }
      return done;
    } finally {
      await client.query(`select pg_advisory_unlock(hashtext('postledger:migrate:' || current_schema()))`);
    }
  } finally {
    client.release();
  }
}

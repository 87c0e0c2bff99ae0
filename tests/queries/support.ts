/**
 * Helpers for the read-side tests: run one projection over the log to its head, take a
 * table's rows, and rebuild a projection from scratch.
 */
import type { Projection } from '../../src/projections/projection';
import { Projector } from '../../src/projections/projector';
import { readModelDb } from '../../src/projections/read-models';
import { createLogger } from '../../src/platform/logger';
import type { TestApi } from '../support/api';

/** Runs `projection` from its checkpoint until it has applied every event of the log it reads, then stops it. */
export async function projectToHead(api: TestApi, projection: Projection, timeoutMs = 10_000): Promise<void> {
  const projector = new Projector({ db: readModelDb(api.pool), store: api.store, projection, lockConnection: api.database.connection, logger: createLogger('silent'), retryMs: 20 });
  projector.start();
  try {
    const { rows } = await api.pool.query<{ p: string | null }>('select max(position) as p from pl_events where category = any($1::text[]) and type = any($2::text[])', [
      projection.filter.categories,
      projection.filter.types,
    ]);
    const target = BigInt(rows[0]!.p ?? '0');
    const deadline = Date.now() + timeoutMs;
    while (projector.status.checkpoint < target) {
      if (projector.status.state === 'failed' || Date.now() > deadline) throw new Error(`projection ${projection.name} did not reach ${target}: ${projector.status.state}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await projector.stop();
  }
}

/** Every row of a table in primary-key order, as text so that any two runs compare exactly. */
export async function tableRows(api: TestApi, table: string, orderBy: string): Promise<string[]> {
  const { rows } = await api.pool.query<{ row: string }>(`select t::text as row from ${table} t order by ${orderBy}`);
  return rows.map((r) => r.row);
}

/** Empties the projection's tables and forgets its checkpoint, then projects the whole log again. */
export async function rebuild(api: TestApi, projection: Projection, tables: string[]): Promise<void> {
  await api.pool.query(`truncate ${tables.join(', ')}`);
  await api.pool.query('delete from pl_projection_checkpoints where name = $1', [projection.name]);
  await projectToHead(api, projection);
}

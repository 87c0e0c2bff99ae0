import type { Pool } from 'pg';
import { openDatabase } from '../platform/database';
import { projections } from '../projections';
import type { HostProcess } from '../serve';
import { runCommand } from './command';

export interface ProjectionStatusRow {
  name: string;
  /** Position of the last applied event ('0' before the first). */
  position: string;
  /** `running`, `failed`, or `not started` for a projection that never ran. */
  status: string;
  error: string | null;
  updatedAt: Date | null;
}

/**
 * Every projection the service runs, with its checkpoint and state as recorded in
 * PostgreSQL (a failed one with the reason it stopped).
 *
 * ```ts
 * const rows = await projectionStatus(pool); // [{ name: 'posts', position: '1042', status: 'running', … }]
 * ```
 */
export async function projectionStatus(pool: Pool): Promise<ProjectionStatusRow[]> {
  type Row = { name: string; position: string; status: string; error: string | null; updated_at: Date };
  const rows = await pool
    .query<Row>('select name, position, status, error, updated_at from pl_projection_checkpoints')
    .then((result) => result.rows)
    // a database never migrated has no projections yet
    .catch((error: { code?: string }) => {
      if (error.code === '42P01') return [] as Row[];
      throw error;
    });
  const byName = new Map(rows.map((r) => [r.name, r]));
  return projections.map(({ name }) => {
    const row = byName.get(name);
    return { name, position: row?.position ?? '0', status: row?.status ?? 'not started', error: row?.error ?? null, updatedAt: row?.updated_at ?? null };
  });
}

/** `postledger projections status`: one line per projection; exit 1 when one has failed. */
export async function runProjectionsStatus(host: HostProcess): Promise<void> {
  await runCommand(host, 'projections status', async ({ config, logger, teardown }) => {
    const database = await openDatabase(config, logger, teardown);
    const rows = await projectionStatus(database.pool);
    for (const row of rows) {
      host.stdout.write(`${row.name.padEnd(22)} ${row.status.padEnd(12)} position ${row.position}${row.error ? `  error: ${row.error}` : ''}\n`);
    }
    return rows.some((r) => r.status === 'failed') ? 1 : 0;
  });
}

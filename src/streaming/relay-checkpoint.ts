import type { Pool } from 'pg';
import type { Position } from '../eventstore/port';
import type { Migration } from '../platform/migrations';

export const relayMigrations: Migration[] = [
  {
    id: '4000_relay_checkpoints',
    sql: `
      create table pl_relay_checkpoints (
        name       text        primary key,
        -- position of the last event the broker acknowledged; null: nothing yet
        position   bigint,
        updated_at timestamptz not null default now()
      );`,
  },
];

/** Where a relay stands: the last acknowledged position (undefined: none yet) and when it moved. */
export interface RelayCheckpoint {
  position: Position | undefined;
  updatedAt: Date;
}

/** The relay's checkpoint, created (empty) when missing. */
export async function loadRelayCheckpoint(pool: Pool, name: string): Promise<RelayCheckpoint> {
  await pool.query('insert into pl_relay_checkpoints (name) values ($1) on conflict (name) do nothing', [name]);
  return (await readRelayCheckpoint(pool, name))!;
}

/** The relay's checkpoint, or undefined if it never ran. */
export async function readRelayCheckpoint(pool: Pool, name: string): Promise<RelayCheckpoint | undefined> {
  const { rows } = await pool.query<{ position: string | null; updated_at: Date }>(
    'select position, updated_at from pl_relay_checkpoints where name = $1',
    [name],
  );
  const row = rows[0];
  return row && { position: row.position === null ? undefined : BigInt(row.position), updatedAt: row.updated_at };
}

/**
 * Moves the checkpoint from `from` to `to`; false when it was not at `from` any more (another
 * instance moved it: this one is no longer the active relay).
 */
export async function advanceRelayCheckpoint(pool: Pool, name: string, from: Position | undefined, to: Position): Promise<boolean> {
  const { rowCount } = await pool.query(
    'update pl_relay_checkpoints set position = $2, updated_at = now() where name = $1 and position is not distinct from $3',
    [name, to.toString(), from === undefined ? null : from.toString()],
  );
  return rowCount === 1;
}

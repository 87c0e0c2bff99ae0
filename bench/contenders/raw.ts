import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { eventData, newStreamId } from '../lib/events';
import { runConcurrent, runSequential, toRep } from '../lib/stats';
import type { EventStoreTask, TaskKind } from '../lib/tasks';

/**
 * The floor every store is measured against: a plain table, no revision checks, no
 * positions. Single-row autocommit INSERTs for one-event appends, one multi-row INSERT
 * per batch. `data` holds the same event data the stores write (not their metadata).
 */
export const RAW_KINDS: readonly TaskKind[] = ['setup', 'append-new', 'append-batch'];

const TABLE_SQL = 'create table raw_events (id uuid primary key, stream text not null, data jsonb not null)';
const INSERT_ONE = 'insert into raw_events (id, stream, data) values ($1, $2, $3)';

const multiRowSql = new Map<number, string>();
function insertMany(rows: number): string {
  let text = multiRowSql.get(rows);
  if (!text) {
    const values = Array.from({ length: rows }, (_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`);
    text = `insert into raw_events (id, stream, data) values ${values.join(', ')}`;
    multiRowSql.set(rows, text);
  }
  return text;
}

async function insertBatch(pool: Pool, size: number, seq: number): Promise<void> {
  const stream = newStreamId();
  const values: unknown[] = [];
  for (let i = 0; i < size; i++) values.push(randomUUID(), stream, JSON.stringify(eventData(seq + i)));
  await pool.query(insertMany(size), values);
}

export async function runRawTask(task: EventStoreTask): Promise<unknown> {
  const pool = new Pool({ connectionString: task.url, max: task.kind === 'setup' ? 1 : task.poolMax });
  try {
    switch (task.kind) {
      case 'setup':
        await pool.query(TABLE_SQL);
        return { ok: true };
      case 'append-new': {
        const one = (i: number) => pool.query(INSERT_ONE, [randomUUID(), newStreamId(), JSON.stringify(eventData(i))]);
        await runConcurrent(task.warmup, task.concurrency, one);
        const t = await runConcurrent(task.count, task.concurrency, one);
        return toRep(t, task.count, task.count);
      }
      case 'append-batch': {
        await runSequential(task.warmup, (i) => insertBatch(pool, task.size, i * task.size));
        const t = await runSequential(task.batches, (i) => insertBatch(pool, task.size, i * task.size));
        return toRep(t, task.batches, task.batches * task.size);
      }
      default:
        throw new Error(`raw INSERT baseline has no ${task.kind} workload`);
    }
  } finally {
    await pool.end();
  }
}

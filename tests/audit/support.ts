import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { auditChainProjection } from '../../src/audit/chain-projection';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { createLogger } from '../../src/platform/logger';
import { migrate } from '../../src/platform/migrations';
import { checkpointMigrations } from '../../src/projections/checkpoints';
import { Projector } from '../../src/projections/projector';
import { readModelDb } from '../../src/projections/read-models';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** A log in a schema of its own with the audit chain projection over it. */
export interface ChainedLog {
  database: TestDatabase;
  pool: Pool;
  store: PostgresEventStore;
  /** Appends `count` events spread over a few streams, then waits until the chain has them all. */
  fill(count: number): Promise<void>;
  /** Runs the chain projection until the chain reaches the log's head. */
  chainUp(): Promise<void>;
  close(): Promise<void>;
}

export async function chainedLog(prefix: string): Promise<ChainedLog> {
  const database = await createTestDatabase(prefix);
  const pool = new Pool({ ...database.connection, max: 6 });
  const store = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 100 });
  await store.migrate();
  await migrate(pool, [...checkpointMigrations, ...auditChainProjection.migrations]);
  const projector = new Projector({ db: readModelDb(pool), store, projection: auditChainProjection, lockConnection: database.connection, logger: createLogger('silent'), retryMs: 20 });
  const log: ChainedLog = {
    database,
    pool,
    store,
    async fill(count) {
      const streams = [`post-${randomUUID()}`, `comment-${randomUUID()}`, `user-${randomUUID()}`];
      for (let i = 0; i < count; i++) {
        await store.appendToStream(streams[i % streams.length]!, [
          {
            id: randomUUID(),
            type: i % 2 === 0 ? 'Ticked' : 'Tocked',
            data: { n: i, text: `événement ${i}`, nested: { z: [1, 2.5, { b: true, a: null }], a: 'x' } },
            metadata: { actor: { type: 'user', id: randomUUID() }, correlationId: `c-${i % 4}` },
          },
        ]);
      }
      await log.chainUp();
    },
    async chainUp() {
      projector.start();
      const head = (await store.headPosition()) ?? 0n;
      const deadline = Date.now() + 10_000;
      const chained = async () => BigInt((await pool.query<{ p: string | null }>('select max(position) as p from pl_audit_chain')).rows[0]!.p ?? '0');
      while ((await chained()) < head) {
        if (Date.now() > deadline) throw new Error('the chain did not catch up');
        await new Promise((r) => setTimeout(r, 10));
      }
      await projector.stop();
    },
    async close() {
      await projector.stop();
      await store.close();
      await pool.end();
      await database.drop();
    },
  };
  return log;
}

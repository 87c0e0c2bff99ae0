import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import type { RecordedEvent } from '../../src/eventstore/port';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/platform/logger';
import { createMetrics } from '../../src/platform/metrics';
import { migrate } from '../../src/platform/migrations';
import { checkpointMigrations } from '../../src/projections/checkpoints';
import { projectionsCheck, registerProjectionMetrics } from '../../src/projections/health';
import type { Projection } from '../../src/projections/projection';
import { Projector } from '../../src/projections/projector';
import { readModelDb } from '../../src/projections/read-models';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let pool: Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase('metrics');
  pool = new Pool({ ...database.connection, max: 5 });
  store = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 100 });
  await store.migrate();
  await migrate(pool, checkpointMigrations);
});
afterAll(async () => {
  await store.close();
  await pool.end();
  await database.drop();
});

/** A projection that holds its first batch until released, so that it is running and behind. */
function gatedProjection(): { projection: Projection; started: Promise<void>; release(): void; applied: RecordedEvent[] } {
  let release = () => undefined as void;
  let markStarted = () => undefined as void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const applied: RecordedEvent[] = [];
  const projection: Projection = {
    name: 'gated',
    filter: { categories: ['thing'] },
    migrations: [],
    async apply(_trx, events) {
      markStarted();
      await gate;
      applied.push(...events);
    },
  };
  return { projection, started, release, applied };
}

/** The value of one sample of the /metrics text, or undefined when absent. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('projection metrics in /metrics', () => {
  it('shows the lag in events and seconds while a projection is behind, and events applied once it caught up', async () => {
    const gated = gatedProjection();
    const projector = new Projector({ db: readModelDb(pool), store, projection: gated.projection, lockConnection: database.connection, logger: createLogger('silent'), retryMs: 20 });
    const metrics = createMetrics();
    // the scrape sees the clock a minute ahead: the oldest unapplied event is at least 60 s old
    registerProjectionMetrics(metrics.registry, [projector], { store, now: () => Date.now() + 60_000 });
    const http = request(createApp({ logger: createLogger('silent'), metrics, readinessChecks: [projectionsCheck([projector])] }));
    const scrape = async () => {
      const res = await http.get('/metrics');
      expect(res.status).toBe(200);
      return res.text;
    };

    await store.appendToStream(`thing-${randomUUID()}`, [1, 2, 3].map((i) => ({ id: randomUUID(), type: 'ThingHappened', data: { i } })));
    // an event it does not read counts in the lag too, until it has read past it
    const head = await store.appendToStream(`other-${randomUUID()}`, [{ id: randomUUID(), type: 'OtherHappened', data: {} }]);
    try {
      projector.start();
      await gated.started;
      const behind = await scrape();
      expect(sample(behind, 'projection_state', 'projection="gated",state="running"')).toBe(1);
      expect(sample(behind, 'projection_lag_events', 'projection="gated"')).toBe(4);
      expect(sample(behind, 'projection_lag_seconds', 'projection="gated"')).toBeGreaterThanOrEqual(60);
      expect(sample(behind, 'projection_checkpoint', 'projection="gated"')).toBe(0);

      gated.release();
      while (projector.status.readPosition < head.position) await new Promise((r) => setTimeout(r, 10));
      const caughtUp = await scrape();
      expect(gated.applied).toHaveLength(3);
      expect(sample(caughtUp, 'projection_lag_events', 'projection="gated"')).toBe(0);
      expect(sample(caughtUp, 'projection_lag_seconds', 'projection="gated"')).toBe(0);
      expect(sample(caughtUp, 'projection_events_total', 'projection="gated"')).toBe(3);
      expect(sample(caughtUp, 'projection_events_per_second', 'projection="gated"')).toBeGreaterThan(0);
      expect(sample(caughtUp, 'projection_checkpoint', 'projection="gated"')).toBe(Number(gated.applied[2]!.position));
    } finally {
      gated.release();
      await projector.stop();
    }
    // a projector that is not leading reports no lag of its own
    const stopped = await scrape();
    expect(sample(stopped, 'projection_state', 'projection="gated",state="stopped"')).toBe(1);
    expect(sample(stopped, 'projection_lag_events', 'projection="gated"')).toBeUndefined();
  });
});

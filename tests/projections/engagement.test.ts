import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { engagementDecider, type EngagementMetrics, type EngagementSnapshot, type EngagementState, metricNames } from '../../src/domain/engagement';
import type { NewEvent } from '../../src/eventstore/port';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { createLogger } from '../../src/platform/logger';
import { migrate } from '../../src/platform/migrations';
import { checkpointMigrations } from '../../src/projections/checkpoints';
import { engagementProjection } from '../../src/projections/engagement';
import type { Projection } from '../../src/projections/projection';
import { Projector } from '../../src/projections/projector';
import { publicationsProjection } from '../../src/projections/publications';
import { readModelDb } from '../../src/projections/read-models';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let pool: Pool;
let store: PostgresEventStore;
const logger = createLogger('silent');
const mine = [engagementProjection, publicationsProjection];

beforeAll(async () => {
  database = await createTestDatabase('eng');
  pool = new Pool(database.connection);
  store = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 50 });
  await store.migrate();
  await migrate(pool, [...checkpointMigrations, ...mine.flatMap((p) => p.migrations)]);
});
afterAll(async () => {
  await store.close();
  await pool.end();
  await database.drop();
});

const ws = randomUUID();
const account = randomUUID();
const states = new Map<string, EngagementState>();
const m = (values: Partial<EngagementMetrics>): EngagementMetrics => ({ ...Object.fromEntries(metricNames.map((n) => [n, 0])), ...values }) as EngagementMetrics;

/** Records snapshots the way the write side does: the decider decides what counts. */
async function record(postId: string, snapshots: EngagementSnapshot[]): Promise<void> {
  const state = states.get(postId) ?? engagementDecider.initialState();
  const events = engagementDecider.decide({ type: 'RecordEngagementSnapshots', postId, workspaceId: ws, accountId: account, snapshots }, state);
  states.set(postId, events.reduce(engagementDecider.evolve, state));
  await store.appendToStream(
    `engagement-${postId}`,
    events.map((e): NewEvent => ({ id: randomUUID(), type: e.type, data: e.data, metadata: { workspaceId: ws } })),
  );
}

/** Runs the projections until each has applied the log as it stands, then stops them. */
async function project(projections: Projection[], batchSize = 3): Promise<void> {
  const { rows } = await pool.query<{ p: string }>('select coalesce(max(position), 0)::text as p from pl_events');
  const target = BigInt(rows[0]!.p);
  const projectors = projections.map((projection) => new Projector({ db: readModelDb(pool), store, projection, lockConnection: database.connection, logger, batchSize, retryMs: 20 }));
  for (const p of projectors) p.start();
  try {
    const deadline = Date.now() + 10_000;
    for (const p of projectors) {
      while (!(await caughtUp(p.name, target))) {
        if (Date.now() > deadline) throw new Error(`${p.name} did not catch up`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    await Promise.all(projectors.map((p) => p.stop()));
  }
}

/** Whether the projection applied every event of its filter up to `target`. */
async function caughtUp(name: string, target: bigint): Promise<boolean> {
  const { filter } = mine.find((p) => p.name === name)!;
  const { rows } = await pool.query<{ last: string | null; at: string | null }>(
    `select (select max(position) from pl_events where category = any($1::text[]) and type = any($2::text[]) and position <= $3)::text as last,
            (select position from pl_projection_checkpoints where name = $4)::text as at`,
    [filter.categories, filter.types, target.toString(), name],
  );
  return rows[0]!.last === null || (rows[0]!.at !== null && BigInt(rows[0]!.at) >= BigInt(rows[0]!.last));
}

async function buckets(postId: string): Promise<{ start: string; likes: number; impressions: number }[]> {
  const { rows } = await pool.query<{ bucket_start: Date; likes: string; impressions: string }>(
    'select bucket_start, likes, impressions from rm_engagement_buckets where post_id = $1 order by bucket_start',
    [postId],
  );
  return rows.map((r) => ({ start: r.bucket_start.toISOString(), likes: Number(r.likes), impressions: Number(r.impressions) }));
}

async function dump(table: string, order: string): Promise<unknown[]> {
  return (await pool.query(`select * from ${table} order by ${order}`)).rows;
}

describe('engagement projection', () => {
  it('sums the deltas of counted snapshots by UTC hour of capture and keeps the latest totals', async () => {
    const post = randomUUID();
    await record(post, [
      { capturedAt: '2026-03-01T10:05:00Z', metrics: m({ likes: 3, impressions: 100 }) },
      { capturedAt: '2026-03-01T10:50:00Z', metrics: m({ likes: 5, impressions: 150 }) },
      { capturedAt: '2026-03-01T12:00:00Z', metrics: m({ likes: 9, impressions: 200 }) },
    ]);
    await project([engagementProjection]);
    expect(await buckets(post)).toEqual([
      { start: '2026-03-01T10:00:00.000Z', likes: 5, impressions: 150 },
      { start: '2026-03-01T12:00:00.000Z', likes: 4, impressions: 50 },
    ]);
    const { rows } = await pool.query('select workspace_id, account_id, captured_at, likes, impressions from rm_post_engagement where post_id = $1', [post]);
    expect(rows).toEqual([{ workspace_id: ws, account_id: account, captured_at: new Date('2026-03-01T12:00:00Z'), likes: '9', impressions: '200' }]);
  });

  it('never counts a repeated, duplicated or late (older) snapshot twice', async () => {
    const post = randomUUID();
    const first = { capturedAt: '2026-03-02T08:10:00Z', metrics: m({ likes: 10 }) };
    const second = { capturedAt: '2026-03-02T09:10:00Z', metrics: m({ likes: 14 }) };
    // out of order within a batch, the same snapshot twice, then a repeat and a late one in later batches
    await record(post, [second, first, second]);
    await record(post, [first]);
    await record(post, [{ capturedAt: '2026-03-02T07:00:00Z', metrics: m({ likes: 2 }) }, second]);
    await record(post, [{ capturedAt: '2026-03-02T09:40:00Z', metrics: m({ likes: 13 }) }]);
    // a hand-made uncounted event is skipped whatever its delta says
    await store.appendToStream(`engagement-${post}`, [
      {
        id: randomUUID(),
        type: 'EngagementSnapshotRecorded',
        data: { postId: post, workspaceId: ws, accountId: account, capturedAt: '2026-03-02T10:00:00Z', metrics: m({ likes: 99 }), delta: m({ likes: 99 }), counted: false },
      },
    ]);
    await project([engagementProjection], 2);
    // a platform correcting a total down is a negative delta: the sum is still the latest total
    expect(await buckets(post)).toEqual([
      { start: '2026-03-02T08:00:00.000Z', likes: 10, impressions: 0 },
      { start: '2026-03-02T09:00:00.000Z', likes: 3, impressions: 0 },
    ]);
    const { rows } = await pool.query('select captured_at, likes from rm_post_engagement where post_id = $1', [post]);
    expect(rows).toEqual([{ captured_at: new Date('2026-03-02T09:40:00Z'), likes: '13' }]);
  });
});

describe('publications projection', () => {
  const post = (): { id: string; stream: string } => {
    const id = randomUUID();
    return { id, stream: `post-${id}` };
  };
  const ev = (type: string, data: unknown): NewEvent => ({ id: randomUUID(), type, data, metadata: { workspaceId: ws } });
  const drafted = (id: string) => ev('PostDrafted', { postId: id, workspaceId: ws, accountId: account, authorId: randomUUID(), content: 'x', media: [], tags: [] });
  const requested = (attempt: number) => ev('PostPublishRequested', { attempt, requestedAt: '2026-03-03T10:00:00Z', trigger: 'manual', accountId: account, content: 'x', media: [] });
  const failed = (attempt: number, retryable: boolean) => ev('PostPublishFailed', { error: 'HTTP 503', retryable, attempt });
  const retry = ev('PostPublishRetryScheduled', { at: '2026-03-03T10:01:00Z' });
  const published = ev('PostPublished', { externalId: 'x1', url: 'https://x.example/1', publishedAt: '2026-03-03T10:02:00Z' });

  it('keeps the outcome that settled each post: a failure followed by a retry is not final', async () => {
    const [retried, final, never, republished] = [post(), post(), post(), post()];
    await store.appendToStream(retried.stream, [drafted(retried.id), requested(1), failed(1, true), { ...retry, id: randomUUID() }, requested(2), { ...published, id: randomUUID() }]);
    await store.appendToStream(final.stream, [drafted(final.id), requested(1), failed(1, true), { ...retry, id: randomUUID() }, requested(2), failed(2, false)]);
    await store.appendToStream(never.stream, [drafted(never.id), requested(1), failed(1, true), { ...retry, id: randomUUID() }]);
    await store.appendToStream(republished.stream, [drafted(republished.id), requested(1), failed(1, false), requested(1)]);
    await project([publicationsProjection], 4);
    const { rows } = await pool.query<{ post_id: string; outcome: string | null; at: Date | null }>('select post_id, outcome, at from rm_publications');
    const outcome = (id: string) => rows.find((r) => r.post_id === id)!;
    expect(outcome(retried.id)).toMatchObject({ outcome: 'published', at: new Date('2026-03-03T10:02:00Z') });
    expect(outcome(final.id)).toMatchObject({ outcome: 'failed', at: expect.any(Date) });
    expect(outcome(never.id)).toMatchObject({ outcome: null, at: null });
    expect(outcome(republished.id)).toMatchObject({ outcome: null, at: null });
  });
});

describe('rebuild', () => {
  it('builds the same tables from scratch as incrementally', async () => {
    const tables: [string, string][] = [
      ['rm_post_engagement', 'post_id'],
      ['rm_engagement_buckets', 'post_id, bucket_start'],
      ['rm_engagement_hourly', 'workspace_id, account_id, bucket_start'],
      ['rm_engagement_post_starts', 'workspace_id, account_id, bucket_start, previous_bucket, previous_account_bucket'],
      ['rm_engagement_post_accounts', 'post_id, account_id'],
      ['rm_publications', 'post_id'],
      ['rm_publication_hours', 'workspace_id, account_id, hour'],
    ];
    const incremental = await Promise.all(tables.map(([t, o]) => dump(t, o)));
    expect(incremental[1]!.length).toBeGreaterThan(0);
    await pool.query(`truncate ${tables.map(([t]) => t).join(', ')}`);
    await pool.query('delete from pl_projection_checkpoints where name = any($1::text[])', [mine.map((p) => p.name)]);
    await project(mine, 500);
    expect(await Promise.all(tables.map(([t, o]) => dump(t, o)))).toEqual(incremental);
  });
});

import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { engagementDecider, type EngagementEvent, type EngagementMetrics, type EngagementState, metricNames } from '../../src/domain/engagement';
import type { RecordedEvent } from '../../src/eventstore/port';
import { migrate } from '../../src/platform/migrations';
import { checkpointMigrations } from '../../src/projections/checkpoints';
import { engagementProjection } from '../../src/projections/engagement';
import type { Projection } from '../../src/projections/projection';
import { publicationsProjection } from '../../src/projections/publications';
import { readModelDb } from '../../src/projections/read-models';
import { overview, percentage } from '../../src/queries/analytics';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let pool: Pool;
const mine = [engagementProjection, publicationsProjection];
const rollups = ['rm_engagement_hourly', 'rm_engagement_post_starts', 'rm_engagement_post_accounts', 'rm_publication_hours'];

beforeAll(async () => {
  database = await createTestDatabase('rollup');
  pool = new Pool(database.connection);
  await migrate(pool, [...checkpointMigrations, ...mine.flatMap((p) => p.migrations)]);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

/** A tiny deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

const HOUR = 3_600_000;
const BASE = Date.parse('2026-03-01T00:00:00Z');
let position = 0n;

function recorded(streamId: string, type: string, data: unknown, occurredAt = new Date(BASE)): RecordedEvent {
  position += 1n;
  return { position, id: randomUUID(), streamId, revision: 0n, type, schemaVersion: 1, occurredAt, data, metadata: {} as RecordedEvent['metadata'] };
}

/**
 * A log of snapshots and publications for two workspaces: posts with snapshots spread over
 * days, several in some hours, repeated and late ones (not counted), a post whose snapshots
 * name another account part of the way, and publications settled at odd minutes, some of
 * them published, failed, retried and published again.
 */
function generateLog(next: () => number, workspaces: string[], accounts: Record<string, string[]>): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (const ws of workspaces) {
    for (let p = 0; p < 12; p++) {
      const postId = randomUUID();
      const account = accounts[ws]![p % accounts[ws]!.length]!;
      let state: EngagementState = engagementDecider.initialState();
      let at = BASE + Math.floor(next() * 72) * HOUR;
      const totals = Object.fromEntries(metricNames.map((n) => [n, 0])) as EngagementMetrics;
      for (let batch = 0; batch < 4; batch++) {
        const snapshots = [];
        for (let s = 0; s < 4; s++) {
          // minutes apart (same hour) or hours apart
          at += next() < 0.5 ? Math.floor(next() * 20) * 60_000 : Math.floor(1 + next() * 10) * HOUR + Math.floor(next() * 59) * 60_000;
          for (const n of metricNames) totals[n] += Math.floor(next() * 5) - (next() < 0.05 ? 3 : 0);
          snapshots.push({ capturedAt: new Date(at).toISOString(), metrics: Object.fromEntries(metricNames.map((n) => [n, Math.max(0, totals[n])])) });
        }
        // a repeat of an earlier snapshot and a late one
        snapshots.push({ ...snapshots[0]! });
        snapshots.push({ capturedAt: new Date(at - 30 * HOUR).toISOString(), metrics: snapshots[1]!.metrics });
        // the last post moves to another account half way: the rollups must still count it once per scope
        const accountId = p === 11 && batch >= 2 ? accounts[ws]![1]! : account;
        const decided = engagementDecider.decide({ type: 'RecordEngagementSnapshots', postId, workspaceId: ws, accountId, snapshots }, state);
        state = decided.reduce(engagementDecider.evolve, state);
        for (const e of decided as EngagementEvent[]) events.push(recorded(`engagement-${postId}`, e.type, e.data));
      }
      const post = `post-${postId}`;
      events.push(recorded(post, 'PostDrafted', { postId, workspaceId: ws, accountId: account, authorId: randomUUID(), content: 'x', media: [], tags: [] }));
      const settleAt = () => new Date(BASE + Math.floor(next() * 72 * 60) * 60_000 + Math.floor(next() * 60_000));
      events.push(recorded(post, 'PostPublishRequested', { attempt: 1, requestedAt: new Date(BASE).toISOString(), trigger: 'manual', accountId: account, content: 'x', media: [] }));
      const roll = next();
      if (roll < 0.3) {
        events.push(recorded(post, 'PostPublishFailed', { error: 'HTTP 400', retryable: false, attempt: 1 }, settleAt()));
      } else if (roll < 0.5) {
        events.push(recorded(post, 'PostPublishFailed', { error: 'HTTP 503', retryable: true, attempt: 1 }, settleAt()));
        events.push(recorded(post, 'PostPublishRetryScheduled', { at: new Date(BASE).toISOString() }));
        events.push(recorded(post, 'PostPublishRequested', { attempt: 2, requestedAt: new Date(BASE).toISOString(), trigger: 'retry', accountId: account, content: 'x', media: [] }));
        events.push(recorded(post, 'PostPublished', { externalId: 'x', url: 'https://x.example/1', publishedAt: settleAt().toISOString() }));
      } else if (roll < 0.9) {
        events.push(recorded(post, 'PostPublished', { externalId: 'x', url: 'https://x.example/1', publishedAt: settleAt().toISOString() }));
      }
    }
  }
  return events;
}

/** Applies `events` to the projections in batches of `size`, as a projector or a rebuild would. */
async function applyInBatches(projections: Projection[], events: readonly RecordedEvent[], size: number): Promise<void> {
  const db = readModelDb(pool);
  for (const projection of projections) {
    const matching = events.filter((e) => projection.filter.categories!.includes(e.streamId.split('-')[0]!) && projection.filter.types!.includes(e.type));
    for (let i = 0; i < matching.length; i += size) await db.transaction().execute((trx) => projection.apply(trx, matching.slice(i, i + size)));
  }
}

/** The overview computed the plain way: from every bucket row and every publication row. */
async function referenceOverview(scope: { workspaceId: string; accountId?: string; from: Date; to: Date }) {
  const params = [scope.workspaceId, scope.from, scope.to, scope.accountId ?? null];
  const where = `workspace_id = $1 and ($4::uuid is null or account_id = $4)`;
  const { rows } = await pool.query(
    `select ${metricNames.map((m) => `coalesce(sum(${m}), 0)::int as ${m}`).join(', ')}, count(distinct post_id)::int as posts
       from rm_engagement_buckets where ${where} and bucket_start >= $2 and bucket_start < $3`,
    params,
  );
  const pub = await pool.query<{ published: number; failed: number }>(
    `select count(*) filter (where outcome = 'published')::int as published, count(*) filter (where outcome = 'failed')::int as failed
       from rm_publications where ${where} and outcome is not null and at >= $2 and at < $3`,
    params,
  );
  const { posts, ...metrics } = rows[0] as EngagementMetrics & { posts: number };
  const engagements = metrics.likes + metrics.comments + metrics.shares + metrics.saves;
  const { published, failed } = pub.rows[0]!;
  return {
    ...metrics,
    engagements,
    engagementRateByImpressions: percentage(engagements, metrics.impressions),
    engagementRateByReach: percentage(engagements, metrics.reach),
    ctr: percentage(metrics.clicks, metrics.impressions),
    publishSuccessRate: percentage(published, published + failed),
    posts,
  };
}

async function dump(table: string): Promise<unknown[]> {
  const { rows } = await pool.query(`select * from ${table}`);
  return rows.map((r) => JSON.stringify(r)).sort();
}

const workspaces = [randomUUID(), randomUUID()];
const accounts = Object.fromEntries(workspaces.map((ws) => [ws, [randomUUID(), randomUUID(), randomUUID()]]));

describe('analytics rollups', () => {
  let log: RecordedEvent[];

  beforeAll(async () => {
    log = generateLog(random(42), workspaces, accounts);
    await applyInBatches(mine, log, 7);
  });

  it('give the overview the bucket rows would give, for any range and scope', async () => {
    const next = random(7);
    const counted = { posts: 0, published: 0 };
    for (let i = 0; i < 60; i++) {
      const workspaceId = workspaces[i % 2]!;
      // ranges starting on the hour, or at any millisecond; from a few minutes to several days
      const from = new Date(BASE - 6 * HOUR + Math.floor(next() * 90) * HOUR + (i % 3 === 0 ? 0 : Math.floor(next() * HOUR)));
      const to = new Date(from.getTime() + (i % 4 === 0 ? Math.floor(next() * HOUR) + 1 : Math.floor(next() * 100 * HOUR) + 1));
      const accountId = i % 3 === 1 ? accounts[workspaceId]![i % 3]! : undefined;
      const scope = { workspaceId, from, to, ...(accountId ? { accountId } : {}) };
      const expected = await referenceOverview(scope);
      expect({ scope, answer: await overview(pool, scope) }).toEqual({ scope, answer: expected });
      counted.posts += expected.posts;
      counted.published += expected.publishSuccessRate === null ? 0 : 1;
    }
    // the ranges did meet data
    expect(counted.posts).toBeGreaterThan(100);
    expect(counted.published).toBeGreaterThan(10);
  });

  it('counts a post that moved to another account once per account and once in its workspace', async () => {
    const workspaceId = workspaces[0]!;
    const everything = { workspaceId, from: new Date(BASE - 100 * HOUR), to: new Date(BASE + 1000 * HOUR) };
    expect((await overview(pool, everything)).posts).toBe(12);
    const perAccount = await Promise.all(accounts[workspaceId]!.map((accountId) => overview(pool, { ...everything, accountId })));
    // posts 0, 3, 6, 9 / 1, 4, 7, 10, and the one that moved / 2, 5, 8, 11 (before it moved)
    expect(perAccount.map((o) => o.posts)).toEqual([4, 5, 4]);
  });

  it('are the same however the log is cut into batches', async () => {
    const incremental = await Promise.all(rollups.map(dump));
    await pool.query(`truncate rm_post_engagement, rm_engagement_buckets, rm_publications, ${rollups.join(', ')}`);
    await applyInBatches(mine, log, 500);
    expect(await Promise.all(rollups.map(dump))).toEqual(incremental);
  });

  it("are the same from a rebuild's bulk load, however cut, and `apply` carries on from where it finished", async () => {
    const tables = ['rm_post_engagement', 'rm_engagement_buckets', ...rollups.slice(0, 3)];
    const incremental = await Promise.all(tables.map(dump));
    const snapshots = log.filter((e) => e.type === 'EngagementSnapshotRecorded');
    const db = readModelDb(pool);
    for (const [size, bulkPart] of [
      [7, snapshots.length],
      [50, Math.floor(snapshots.length / 2)],
    ] as const) {
      await pool.query(`truncate ${tables.join(', ')}`);
      const bulk = engagementProjection.bulk!();
      for (let i = 0; i < bulkPart; i += size) await db.transaction().execute((trx) => bulk.apply(trx, snapshots.slice(i, Math.min(i + size, bulkPart))));
      // before finish only totals and buckets are written
      expect((await pool.query('select count(*)::int as n from rm_engagement_hourly')).rows[0].n).toBe(0);
      await db.transaction().execute((trx) => bulk.finish(trx));
      for (let i = bulkPart; i < snapshots.length; i += size) await db.transaction().execute((trx) => engagementProjection.apply(trx, snapshots.slice(i, i + size)));
      expect([size, bulkPart, await Promise.all(tables.map(dump))]).toEqual([size, bulkPart, incremental]);
    }
    // a bulk load that met no counted snapshot writes nothing at the end
    await pool.query(`truncate ${tables.join(', ')}`);
    const empty = engagementProjection.bulk!();
    await db.transaction().execute((trx) => empty.apply(trx, []));
    await db.transaction().execute((trx) => empty.finish(trx));
    expect(await Promise.all(tables.map(dump))).toEqual(tables.map(() => []));
    // the tables as the other tests expect them
    await applyInBatches([engagementProjection], log, 7);
    expect(await Promise.all(tables.map(dump))).toEqual(incremental);
  });

  it('are made from the existing rows when the migration comes to a database that has them', async () => {
    const projected = await Promise.all(rollups.map(dump));
    await pool.query(`drop table ${rollups.join(', ')}`);
    const migrations = mine.flatMap((p) => p.migrations).filter((m) => m.id === '3102_rm_engagement_rollups' || m.id === '3103_rm_publication_hours');
    expect(migrations).toHaveLength(2);
    for (const migration of migrations) await pool.query(migration.sql);
    expect(await Promise.all(rollups.map(dump))).toEqual(projected);
  });

  it('stop the projection at a counted snapshot older than its post’s latest bucket', async () => {
    const postId = randomUUID();
    const ws = workspaces[0]!;
    const snapshot = (capturedAt: string) =>
      recorded(`engagement-${postId}`, 'EngagementSnapshotRecorded', {
        postId,
        workspaceId: ws,
        accountId: accounts[ws]![0],
        capturedAt,
        metrics: Object.fromEntries(metricNames.map((n) => [n, 1])),
        delta: Object.fromEntries(metricNames.map((n) => [n, 1])),
        counted: true,
      });
    await applyInBatches([engagementProjection], [snapshot('2026-03-05T10:00:00Z')], 10);
    await expect(applyInBatches([engagementProjection], [snapshot('2026-03-05T08:00:00Z')], 10)).rejects.toThrow(/older than its latest bucket/);
  });
});

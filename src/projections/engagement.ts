import { sql, type Transaction } from 'kysely';
import { type EngagementMetrics, metricNames } from '../domain/engagement';
import type { RecordedEvent } from '../eventstore/port';
import type { Projection } from './projection';
import type { ReadModels } from './read-models';

const metricColumns = metricNames.map((name) => `${name} bigint not null`).join(', ');
/** Rows per insert: 13 parameters a row stays far below PostgreSQL's 65,535. */
const ROWS_PER_STATEMENT = 1000;

interface Snapshot {
  postId: string;
  workspaceId: string;
  accountId: string;
  capturedAt: string;
  metrics: EngagementMetrics;
  delta: EngagementMetrics;
  counted: boolean;
}

/**
 * Engagement of posts: the latest lifetime totals of each post and, per post and UTC hour of
 * capture, the sum of the deltas of counted snapshots. A repeated, duplicated or older
 * snapshot is recorded with `counted: false` and a zero delta, so it is skipped here and
 * never counts twice. A batch is folded in memory first: one upsert per table and batch.
 */
export const engagementProjection: Projection = {
  name: 'engagement',
  filter: { categories: ['engagement'], types: ['EngagementSnapshotRecorded'] },
  migrations: [
    {
      id: '3100_rm_engagement',
      sql: `
        create table rm_post_engagement (
          post_id uuid primary key, workspace_id uuid not null, account_id uuid not null,
          captured_at timestamptz not null, ${metricColumns}
        );
        create table rm_engagement_buckets (
          post_id uuid not null, bucket_start timestamptz not null,
          workspace_id uuid not null, account_id uuid not null, ${metricColumns},
          primary key (post_id, bucket_start)
        );
        create index rm_engagement_buckets_workspace on rm_engagement_buckets (workspace_id, bucket_start);
        create index rm_engagement_buckets_account on rm_engagement_buckets (workspace_id, account_id, bucket_start);`,
    },
  ],
  async apply(trx, events) {
    const latest = new Map<string, Snapshot>();
    const buckets = new Map<string, Snapshot & { bucketStart: Date }>();
    for (const snapshot of counted(events)) {
      // counted snapshots of a post come in the order of their capture: the last one is the latest
      latest.set(snapshot.postId, snapshot);
      const bucketStart = hourOf(snapshot.capturedAt);
      const key = `${snapshot.postId} ${bucketStart.getTime()}`;
      const bucket = buckets.get(key);
      if (bucket) {
        for (const name of metricNames) bucket.delta[name] += snapshot.delta[name];
      } else {
        buckets.set(key, { ...snapshot, delta: { ...snapshot.delta }, bucketStart });
      }
    }
    await upsertTotals(trx, [...latest.values()]);
    await addToBuckets(trx, [...buckets.values()]);
  },
};

function* counted(events: readonly RecordedEvent[]): Generator<Snapshot> {
  for (const event of events) {
    const snapshot = event.data as Snapshot;
    if (snapshot.counted) yield snapshot;
  }
}

function hourOf(instant: string): Date {
  const at = new Date(instant);
  at.setUTCMinutes(0, 0, 0);
  return at;
}

async function upsertTotals(trx: Transaction<ReadModels>, snapshots: Snapshot[]): Promise<void> {
  for (let i = 0; i < snapshots.length; i += ROWS_PER_STATEMENT) {
    const rows = snapshots.slice(i, i + ROWS_PER_STATEMENT).map((s) => ({
      post_id: s.postId,
      workspace_id: s.workspaceId,
      account_id: s.accountId,
      captured_at: new Date(s.capturedAt),
      ...countsOf(s.metrics),
    }));
    await trx
      .insertInto('rm_post_engagement')
      .values(rows)
      .onConflict((oc) =>
        oc
          .column('post_id')
          .doUpdateSet(() => ({ captured_at: sql`excluded.captured_at`, account_id: sql`excluded.account_id`, ...fromExcluded() }))
          // a counted snapshot is newer than every counted one before it; the guard keeps that true of the table
          .where('rm_post_engagement.captured_at', '<', sql<Date>`excluded.captured_at`),
      )
      .execute();
  }
}

async function addToBuckets(trx: Transaction<ReadModels>, buckets: (Snapshot & { bucketStart: Date })[]): Promise<void> {
  for (let i = 0; i < buckets.length; i += ROWS_PER_STATEMENT) {
    const rows = buckets.slice(i, i + ROWS_PER_STATEMENT).map((b) => ({
      post_id: b.postId,
      bucket_start: b.bucketStart,
      workspace_id: b.workspaceId,
      account_id: b.accountId,
      ...countsOf(b.delta),
    }));
    await trx
      .insertInto('rm_engagement_buckets')
      .values(rows)
      .onConflict((oc) => oc.columns(['post_id', 'bucket_start']).doUpdateSet(() => addedFromExcluded()))
      .execute();
  }
}

function countsOf(metrics: EngagementMetrics): Record<keyof EngagementMetrics, string> {
  return Object.fromEntries(metricNames.map((name) => [name, String(metrics[name])])) as Record<keyof EngagementMetrics, string>;
}

function fromExcluded(): Record<keyof EngagementMetrics, ReturnType<typeof sql<string>>> {
  return Object.fromEntries(metricNames.map((name) => [name, sql<string>`excluded.${sql.ref(name)}`])) as Record<keyof EngagementMetrics, ReturnType<typeof sql<string>>>;
}

function addedFromExcluded(): Record<keyof EngagementMetrics, ReturnType<typeof sql<string>>> {
  return Object.fromEntries(
    metricNames.map((name) => [name, sql<string>`${sql.ref(`rm_engagement_buckets.${name}`)} + excluded.${sql.ref(name)}`]),
  ) as Record<keyof EngagementMetrics, ReturnType<typeof sql<string>>>;
}

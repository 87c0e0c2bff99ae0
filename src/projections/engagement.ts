import { type RawBuilder, sql, type Transaction } from 'kysely';
import { type EngagementMetrics, metricNames } from '../domain/engagement';
import type { RecordedEvent } from '../eventstore/port';
import type { Projection } from './projection';
import type { ReadModels } from './read-models';

const metricColumns = metricNames.map((name) => `${name} bigint not null`).join(', ');
/** The bucket a post has none before: a first bucket's predecessor. */
const NONE = '-infinity';

interface Snapshot {
  postId: string;
  workspaceId: string;
  accountId: string;
  capturedAt: string;
  metrics: EngagementMetrics;
  delta: EngagementMetrics;
  counted: boolean;
}

/** A sum of deltas under a key (a post's bucket, or an account's hour). */
interface Sum {
  workspaceId: string;
  accountId: string;
  postId: string;
  bucketStart: number;
  delta: EngagementMetrics;
}

/** What the projection knows of a post between batches: the latest bucket of each of its accounts. */
interface PostBuckets {
  workspaceId: string;
  /** Account → start (ms) of the post's latest bucket with that account. */
  lastOfAccount: Map<string, number>;
  /** The post's latest bucket and its account (the bucket later snapshots of the same hour add to). */
  latest?: { start: number; accountId: string };
}

/**
 * Engagement of posts: the latest lifetime totals of each post and, per post and UTC hour of
 * capture, the sum of the deltas of counted snapshots. A repeated, duplicated or older
 * snapshot is recorded with `counted: false` and a zero delta, so it is skipped here and
 * never counts twice.
 *
 * For analytics over a whole workspace it also keeps rollups, so that an overview reads a
 * few rows per account and hour rather than one per post and hour:
 * - `rm_engagement_hourly`: the buckets' sums per workspace, account and hour;
 * - `rm_engagement_post_starts`: each bucket counted under its hour and the start of the
 *   post's previous bucket (overall and with the same account). A post has a bucket in
 *   `[from, to)` exactly when one of its buckets in that range follows a bucket before
 *   `from` (or none), so the posts with engagement in a range are the sum of the counts in
 *   range whose previous bucket is before `from`;
 * - `rm_engagement_post_accounts`: the latest bucket of each post and account, which is all
 *   the rollups need to carry on. A counted snapshot is newer than every earlier counted one
 *   of its post, so a post's buckets only ever come after its latest one.
 *
 * A batch is folded in memory and written in one statement (one insert per table, as CTEs).
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
    {
      id: '3102_rm_engagement_rollups',
      // the rollups of what the buckets already hold (tables made earlier): the same rows the projection would have written
      sql: `
        create table rm_engagement_hourly (
          workspace_id uuid not null, account_id uuid not null, bucket_start timestamptz not null, ${metricColumns},
          primary key (workspace_id, account_id, bucket_start)
        );
        create index rm_engagement_hourly_workspace on rm_engagement_hourly (workspace_id, bucket_start);
        create table rm_engagement_post_starts (
          workspace_id uuid not null, account_id uuid not null, bucket_start timestamptz not null,
          previous_bucket timestamptz not null, previous_account_bucket timestamptz not null, posts integer not null,
          primary key (workspace_id, account_id, bucket_start, previous_bucket, previous_account_bucket)
        );
        create index rm_engagement_post_starts_workspace on rm_engagement_post_starts (workspace_id, bucket_start);
        create table rm_engagement_post_accounts (
          post_id uuid not null, account_id uuid not null, workspace_id uuid not null, last_bucket timestamptz not null,
          primary key (post_id, account_id)
        );
        insert into rm_engagement_hourly (workspace_id, account_id, bucket_start, ${metricNames.join(', ')})
          select workspace_id, account_id, bucket_start, ${metricNames.map((m) => `sum(${m})`).join(', ')}
            from rm_engagement_buckets group by workspace_id, account_id, bucket_start;
        insert into rm_engagement_post_starts
          select workspace_id, account_id, bucket_start, previous_bucket, previous_account_bucket, count(*)
            from (select workspace_id, account_id, bucket_start,
                         coalesce(lag(bucket_start) over (partition by post_id order by bucket_start), '${NONE}') as previous_bucket,
                         coalesce(lag(bucket_start) over (partition by post_id, account_id order by bucket_start), '${NONE}') as previous_account_bucket
                    from rm_engagement_buckets) b
           group by 1, 2, 3, 4, 5;
        insert into rm_engagement_post_accounts
          select post_id, account_id, min(workspace_id::text)::uuid, max(bucket_start) from rm_engagement_buckets group by post_id, account_id;`,
    },
  ],
  async apply(trx, events) {
    const snapshots = [...counted(events)];
    if (snapshots.length === 0) return;
    const fold = newFold(await postBuckets(trx, [...new Set(snapshots.map((s) => s.postId))]));
    foldSnapshots(fold, snapshots);
    // every table in one statement: one round trip a batch besides the read above
    await sql`
      with totals as (${upsertTotals([...fold.latest.values()])}),
           buckets as (${addToBuckets([...fold.buckets.values()])}),
           hours as (${addToHours([...fold.hours.values()])}),
           starts as (${addToStarts([...fold.starts.values()])})
      ${saveLastBuckets(lastBucketsOf(fold))}`.execute(trx);
  },
  bulk() {
    // a rebuild into empty tables: what the rollups and each post's last buckets need is kept
    // here across batches and written once at the end; each batch writes totals and buckets
    const fold = newFold(new Map());
    return {
      async apply(trx, events) {
        const snapshots = [...counted(events)];
        if (snapshots.length === 0) return;
        fold.latest = new Map();
        fold.buckets = new Map();
        foldSnapshots(fold, snapshots);
        await sql`
          with totals as (${upsertTotals([...fold.latest.values()])})
          ${addToBuckets([...fold.buckets.values()])}`.execute(trx);
      },
      async finish(trx) {
        if (fold.touched.size === 0) return;
        await sql`
          with hours as (${addToHours([...fold.hours.values()])}),
               starts as (${addToStarts([...fold.starts.values()])})
          ${saveLastBuckets(lastBucketsOf(fold))}`.execute(trx);
      },
    };
  },
};

interface Start {
  workspaceId: string;
  accountId: string;
  bucketStart: number;
  previous: number;
  previousOfAccount: number;
  posts: number;
}

/** A batch (or a whole rebuild) folded in memory: what the tables get. */
interface Fold {
  /** The posts' latest buckets: read from the tables before a batch, or kept through a rebuild. */
  posts: Map<string, PostBuckets>;
  latest: Map<string, Snapshot>;
  buckets: Map<string, Sum>;
  hours: Map<string, Sum>;
  starts: Map<string, Start>;
  /** `postId accountId` of the posts' last buckets that moved. */
  touched: Set<string>;
}

function newFold(posts: Map<string, PostBuckets>): Fold {
  return { posts, latest: new Map(), buckets: new Map(), hours: new Map(), starts: new Map(), touched: new Set() };
}

function foldSnapshots(fold: Fold, snapshots: readonly Snapshot[]): void {
  const { posts, latest, buckets, hours, starts, touched } = fold;
  for (const snapshot of snapshots) {
    // counted snapshots of a post come in the order of their capture: the last one is the latest
    latest.set(snapshot.postId, snapshot);
    const start = hourOf(snapshot.capturedAt);
    const post = posts.get(snapshot.postId) ?? { workspaceId: snapshot.workspaceId, lastOfAccount: new Map<string, number>() };
    posts.set(snapshot.postId, post);
    let accountId = snapshot.accountId;
    if (post.latest && start === post.latest.start) {
      // another snapshot of the hour of the latest bucket: it adds to that bucket, under its account
      accountId = post.latest.accountId;
    } else {
      if (post.latest && start < post.latest.start) {
        throw new Error(`a counted snapshot of post ${snapshot.postId} at ${snapshot.capturedAt} is older than its latest bucket: the log breaks the rule that counted snapshots only get newer`);
      }
      const previous = post.latest?.start ?? -Infinity;
      const previousOfAccount = post.lastOfAccount.get(accountId) ?? -Infinity;
      const key = `${post.workspaceId} ${accountId} ${start} ${previous} ${previousOfAccount}`;
      const entry = starts.get(key) ?? { workspaceId: post.workspaceId, accountId, bucketStart: start, previous, previousOfAccount, posts: 0 };
      entry.posts += 1;
      starts.set(key, entry);
      post.latest = { start, accountId };
      post.lastOfAccount.set(accountId, start);
      touched.add(`${snapshot.postId} ${accountId}`);
    }
    addTo(buckets, `${snapshot.postId} ${start}`, { workspaceId: snapshot.workspaceId, accountId, postId: snapshot.postId, bucketStart: start }, snapshot.delta);
    addTo(hours, `${post.workspaceId} ${accountId} ${start}`, { workspaceId: post.workspaceId, accountId, postId: snapshot.postId, bucketStart: start }, snapshot.delta);
  }
}

function lastBucketsOf({ posts, touched }: Fold): { postId: string; accountId: string; workspaceId: string; lastBucket: number }[] {
  return [...touched].map((key) => {
    const [postId, accountId] = key.split(' ') as [string, string];
    const post = posts.get(postId)!;
    return { postId, accountId, workspaceId: post.workspaceId, lastBucket: post.lastOfAccount.get(accountId)! };
  });
}

function* counted(events: readonly RecordedEvent[]): Generator<Snapshot> {
  for (const event of events) {
    const snapshot = event.data as Snapshot;
    if (snapshot.counted) yield snapshot;
  }
}

function hourOf(instant: string): number {
  const ms = Date.parse(instant);
  return ms - (((ms % 3_600_000) + 3_600_000) % 3_600_000);
}

function addTo(sums: Map<string, Sum>, key: string, at: Omit<Sum, 'delta'>, delta: EngagementMetrics): void {
  const sum = sums.get(key);
  if (!sum) {
    sums.set(key, { ...at, delta: { ...delta } });
    return;
  }
  for (const name of metricNames) sum.delta[name] += delta[name];
}

/** The latest buckets of `postIds` as the tables hold them. */
async function postBuckets(trx: Transaction<ReadModels>, postIds: string[]): Promise<Map<string, PostBuckets>> {
  const { rows } = await sql<{ post_id: string; account_id: string; workspace_id: string; last_bucket: Date }>`
    select post_id, account_id, workspace_id, last_bucket from rm_engagement_post_accounts where post_id = any(${postIds}::uuid[])`.execute(trx);
  const posts = new Map<string, PostBuckets>();
  for (const row of rows) {
    const post = posts.get(row.post_id) ?? { workspaceId: row.workspace_id, lastOfAccount: new Map<string, number>() };
    const start = row.last_bucket.getTime();
    post.lastOfAccount.set(row.account_id, start);
    if (!post.latest || start > post.latest.start) post.latest = { start, accountId: row.account_id };
    posts.set(row.post_id, post);
  }
  return posts;
}

const iso = (ms: number) => (ms === -Infinity ? NONE : new Date(ms).toISOString());
/** One array parameter per column: a statement's size and parameter count do not grow with the batch. */
const metricArrays = (rows: { delta: EngagementMetrics }[] | { metrics: EngagementMetrics }[], field: 'delta' | 'metrics') =>
  sql.join(metricNames.map((name) => sql`${(rows as Record<string, EngagementMetrics>[]).map((r) => r[field]![name])}::int8[]`));
const metricList = sql.join(metricNames.map((name) => sql.ref(name)));
const added = (table: string) => sql.join(metricNames.map((name) => sql`${sql.ref(name)} = ${sql.ref(`${table}.${name}`)} + excluded.${sql.ref(name)}`));

function upsertTotals(snapshots: Snapshot[]): RawBuilder<unknown> {
  return sql`
    insert into rm_post_engagement (post_id, workspace_id, account_id, captured_at, ${metricList})
    select * from unnest(${snapshots.map((s) => s.postId)}::uuid[], ${snapshots.map((s) => s.workspaceId)}::uuid[], ${snapshots.map((s) => s.accountId)}::uuid[],
                         ${snapshots.map((s) => s.capturedAt)}::timestamptz[], ${metricArrays(snapshots, 'metrics')})
    on conflict (post_id) do update set captured_at = excluded.captured_at, account_id = excluded.account_id,
      ${sql.join(metricNames.map((name) => sql`${sql.ref(name)} = excluded.${sql.ref(name)}`))}
      /* a counted snapshot is newer than every counted one before it; the guard keeps that true of the table */
      where rm_post_engagement.captured_at < excluded.captured_at`;
}

function addToBuckets(buckets: Sum[]): RawBuilder<unknown> {
  return sql`
    insert into rm_engagement_buckets (post_id, bucket_start, workspace_id, account_id, ${metricList})
    select * from unnest(${buckets.map((b) => b.postId)}::uuid[], ${buckets.map((b) => iso(b.bucketStart))}::timestamptz[], ${buckets.map((b) => b.workspaceId)}::uuid[],
                         ${buckets.map((b) => b.accountId)}::uuid[], ${metricArrays(buckets, 'delta')})
    on conflict (post_id, bucket_start) do update set ${added('rm_engagement_buckets')}`;
}

function addToHours(hours: Sum[]): RawBuilder<unknown> {
  return sql`
    insert into rm_engagement_hourly (workspace_id, account_id, bucket_start, ${metricList})
    select * from unnest(${hours.map((h) => h.workspaceId)}::uuid[], ${hours.map((h) => h.accountId)}::uuid[], ${hours.map((h) => iso(h.bucketStart))}::timestamptz[],
                         ${metricArrays(hours, 'delta')})
    on conflict (workspace_id, account_id, bucket_start) do update set ${added('rm_engagement_hourly')}`;
}

function addToStarts(starts: Start[]): RawBuilder<unknown> {
  return sql`
    insert into rm_engagement_post_starts (workspace_id, account_id, bucket_start, previous_bucket, previous_account_bucket, posts)
    select * from unnest(${starts.map((s) => s.workspaceId)}::uuid[], ${starts.map((s) => s.accountId)}::uuid[], ${starts.map((s) => iso(s.bucketStart))}::timestamptz[],
                         ${starts.map((s) => iso(s.previous))}::timestamptz[], ${starts.map((s) => iso(s.previousOfAccount))}::timestamptz[], ${starts.map((s) => s.posts)}::int[])
    on conflict (workspace_id, account_id, bucket_start, previous_bucket, previous_account_bucket)
      do update set posts = rm_engagement_post_starts.posts + excluded.posts`;
}

function saveLastBuckets(rows: { postId: string; accountId: string; workspaceId: string; lastBucket: number }[]): RawBuilder<unknown> {
  return sql`
    insert into rm_engagement_post_accounts (post_id, account_id, workspace_id, last_bucket)
    select * from unnest(${rows.map((r) => r.postId)}::uuid[], ${rows.map((r) => r.accountId)}::uuid[], ${rows.map((r) => r.workspaceId)}::uuid[],
                         ${rows.map((r) => iso(r.lastBucket))}::timestamptz[])
    on conflict (post_id, account_id) do update set last_bucket = excluded.last_bucket`;
}

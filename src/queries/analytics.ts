import type { Pool } from 'pg';
import { type EngagementMetrics, metricNames, type MetricName } from '../domain/engagement';
import { inTimeZone, type TimeRange } from './analytics-time';

/** What analytics can sum: each platform metric, and engagements (likes + comments + shares + saves). */
export const analyticsMetrics = [...metricNames, 'engagements'] as const;
export type AnalyticsMetric = (typeof analyticsMetrics)[number];

/** The projections whose tables the analytics queries read. */
export const analyticsProjections = ['engagement', 'publications'] as const;

export interface AnalyticsScope extends TimeRange {
  workspaceId: string;
  accountId?: string;
}

export interface Overview extends EngagementMetrics {
  engagements: number;
  /** Percentages, rounded to 4 decimals; null when the divisor is 0. */
  engagementRateByImpressions: number | null;
  engagementRateByReach: number | null;
  ctr: number | null;
  /** Published ÷ (published + finally failed) × 100 over the posts settled in the range. */
  publishSuccessRate: number | null;
  /** Posts with engagement recorded in the range. */
  posts: number;
}

// the column names come from this fixed list, never from a request
const sumOf = (metric: AnalyticsMetric) => (metric === 'engagements' ? 'sum(likes + comments + shares + saves)' : `sum(${metric})`);
const SCOPE = `workspace_id = $1 and ($4::uuid is null or account_id = $4)`;
const IN_RANGE = `${SCOPE} and bucket_start >= $2 and bucket_start < $3`;

/**
 * Totals and rates over the hourly buckets that start in `[from, to)`. It reads the
 * projections' rollups (a row per account and hour), never a row per post:
 * - sums from `rm_engagement_hourly`;
 * - posts with engagement from `rm_engagement_post_starts`: a post has a bucket in the range
 *   exactly when one of its buckets in the range follows one before `from` (or none);
 * - the publish outcomes settled in the range from `rm_publication_hours` for its whole
 *   hours, and from `rm_publications` itself for the parts of an hour at either end.
 *
 * ```ts
 * await overview(pool, { workspaceId, from, to }); // { impressions: 1200, …, ctr: 1.5, publishSuccessRate: 80 }
 * ```
 */
export async function overview(pool: Pool, scope: AnalyticsScope): Promise<Overview> {
  // one statement, one round trip; $5 and $6: the whole hours of the range, [$5, $6) (empty when $5 ≥ $6)
  const { rows } = await pool.query<Record<MetricName, string> & { posts: number; published: number; failed: number }>(
    `select ${metricNames.map((m) => `coalesce(t.${m}, 0)::text as ${m}`).join(', ')}, s.posts, p.published + e.published as published, p.failed + e.failed as failed
       from (select ${metricNames.map((m) => `${sumOf(m)} as ${m}`).join(', ')} from rm_engagement_hourly where ${IN_RANGE}) t,
            (select coalesce(sum(posts), 0)::int as posts from rm_engagement_post_starts
              where ${IN_RANGE} and (case when $4::uuid is null then previous_bucket else previous_account_bucket end) < $2) s,
            (select coalesce(sum(published), 0)::int as published, coalesce(sum(failed), 0)::int as failed from rm_publication_hours
              where ${SCOPE} and hour >= $5::timestamptz and hour < $6::timestamptz) p,
            (select count(*) filter (where outcome = 'published')::int as published, count(*) filter (where outcome = 'failed')::int as failed
               from rm_publications
              where ${SCOPE} and outcome is not null
                and ((at >= $2::timestamptz and at < least($5::timestamptz, $3::timestamptz))
                  or (at >= greatest($6::timestamptz, least($5::timestamptz, $3::timestamptz)) and at < $3::timestamptz))) e`,
    [scope.workspaceId, scope.from, scope.to, scope.accountId ?? null, ceilHour(scope.from), floorHour(scope.to)],
  );
  const row = rows[0]!;
  const metrics = Object.fromEntries(metricNames.map((m) => [m, Number(row[m])])) as EngagementMetrics;
  const engagements = metrics.likes + metrics.comments + metrics.shares + metrics.saves;
  const { published, failed } = row;
  return {
    ...metrics,
    engagements,
    engagementRateByImpressions: percentage(engagements, metrics.impressions),
    engagementRateByReach: percentage(engagements, metrics.reach),
    ctr: percentage(metrics.clicks, metrics.impressions),
    publishSuccessRate: percentage(published, published + failed),
    posts: row.posts,
  };
}

const HOUR_MS = 3_600_000;
const floorHour = (at: Date) => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
const ceilHour = (at: Date) => new Date(Math.ceil(at.getTime() / HOUR_MS) * HOUR_MS);

/**
 * `part ÷ whole × 100` to 4 decimals; null when `whole` is 0.
 *
 * ```ts
 * percentage(1, 3); // 33.3333
 * ```
 */
export function percentage(part: number, whole: number): number | null {
  if (whole === 0) return null;
  return Math.round((part / whole) * 100 * 10_000) / 10_000;
}

export interface SeriesQuery extends AnalyticsScope {
  metric: AnalyticsMetric;
  interval: 'hour' | 'day';
  tz: string;
}

/**
 * One point per hour (UTC hours) or per day of `tz` (23 or 25 hours across a daylight-saving
 * change) from the one holding `from` to the last that starts before `to`; empty ones are 0.
 *
 * ```ts
 * await timeseries(pool, { workspaceId, from, to, metric: 'likes', interval: 'day', tz: 'Europe/Berlin' });
 * // [{ start: '2026-03-29T00:00:00+01:00', value: 12 }, { start: '2026-03-30T00:00:00+02:00', value: 3 }]
 * ```
 */
export async function timeseries(pool: Pool, query: SeriesQuery): Promise<{ start: string; value: number }[]> {
  // hours are UTC hours (the buckets' own); days are calendar days of tz
  const zone = query.interval === 'hour' ? 'UTC' : query.tz;
  const local = (instant: string) => `(${instant} at time zone $5::text)`;
  const { rows } = await pool.query<{ start: Date; value: string }>(
    `with series as (
       select s at time zone $5::text as start
         from generate_series(date_trunc('${query.interval}', ${local('$2::timestamptz')}), ${local(`($3::timestamptz - interval '1 microsecond')`)}, interval '1 ${query.interval}') s
     ), sums as (
       select date_trunc('${query.interval}', ${local('bucket_start')}) at time zone $5::text as start, ${sumOf(query.metric)} as value
         from rm_engagement_hourly where ${IN_RANGE} group by 1
     )
     select series.start, coalesce(sums.value, 0)::text as value from series left join sums using (start) order by series.start`,
    [query.workspaceId, query.from, query.to, query.accountId ?? null, zone],
  );
  return rows.map((r) => ({ start: inTimeZone(r.start, query.tz), value: Number(r.value) }));
}

/**
 * The posts with the largest sum of `metric` in the range, largest first.
 *
 * ```ts
 * await topPosts(pool, { workspaceId, from, to, metric: 'engagements', limit: 10 }); // [{ postId, accountId, value }]
 * ```
 */
export async function topPosts(pool: Pool, query: AnalyticsScope & { metric: AnalyticsMetric; limit: number }): Promise<{ postId: string; accountId: string; value: number }[]> {
  const { rows } = await pool.query<{ postId: string; accountId: string; value: string }>(
    `select post_id as "postId", (array_agg(account_id order by bucket_start desc))[1] as "accountId", ${sumOf(query.metric)}::text as value
       from rm_engagement_buckets where ${IN_RANGE}
      group by post_id order by ${sumOf(query.metric)} desc, post_id limit $5`,
    [query.workspaceId, query.from, query.to, query.accountId ?? null, query.limit],
  );
  return rows.map((r) => ({ ...r, value: Number(r.value) }));
}

export interface PostAnalytics {
  postId: string;
  /** Lifetime totals of the latest counted snapshot; all 0 before the first. */
  totals: EngagementMetrics & { engagements: number };
  capturedAt: string | null;
  /** Per UTC hour with snapshots: the change of every metric in that hour. */
  history: (EngagementMetrics & { start: string; engagements: number })[];
}

/**
 * A post's latest totals and their hourly history.
 *
 * ```ts
 * await postAnalytics(pool, workspaceId, postId); // { postId, totals: { likes: 12, … }, capturedAt, history: [{ start, likes: 2, … }] }
 * ```
 */
export async function postAnalytics(pool: Pool, workspaceId: string, postId: string): Promise<PostAnalytics> {
  const columns = metricNames.map((m) => `${m}::text`).join(', ');
  const [latest, buckets] = await Promise.all([
    pool.query<Record<MetricName, string> & { captured_at: Date }>(`select captured_at, ${columns} from rm_post_engagement where post_id = $1 and workspace_id = $2`, [postId, workspaceId]),
    pool.query<Record<MetricName, string> & { bucket_start: Date }>(
      `select bucket_start, ${columns} from rm_engagement_buckets where post_id = $1 and workspace_id = $2 order by bucket_start`,
      [postId, workspaceId],
    ),
  ]);
  const row = latest.rows[0];
  return {
    postId,
    totals: withEngagements(row),
    capturedAt: row ? row.captured_at.toISOString() : null,
    history: buckets.rows.map((b) => ({ start: b.bucket_start.toISOString(), ...withEngagements(b) })),
  };
}

function withEngagements(row: Record<MetricName, string> | undefined): EngagementMetrics & { engagements: number } {
  const metrics = Object.fromEntries(metricNames.map((m) => [m, Number(row?.[m] ?? 0)])) as EngagementMetrics;
  return { ...metrics, engagements: metrics.likes + metrics.comments + metrics.shares + metrics.saves };
}

import type { Request } from 'express';
import type { Principal } from '../../auth/principal';
import type { RouteGroup } from '../../commands/routes';
import { loadInWorkspace } from '../../commands/load-in-workspace';
import { accessWorkspace } from '../../commands/workspace-access';
import { accountDecider } from '../../domain/account/decider';
import { metricNames, type MetricName } from '../../domain/engagement';
import { postDecider } from '../../domain/post';
import type { ApiDeps } from '../../http/api-deps';
import { ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { z } from '../../http/openapi';
import { isoTime, pathId } from '../../http/validation';
import { analyticsMetrics, analyticsProjections, overview, postAnalytics, timeseries, topPosts } from '../analytics';
import { isTimeZone, rangeOf, type TimeRange } from '../analytics-time';
import { type Checkpoints, QueryCache } from '../cache';

/** Points a series may have: an hourly series spans at most 92 days, a daily one about six years. */
const MAX_POINTS = 92 * 24;

const range = {
  from: isoTime().optional().openapi({ description: 'Start, inclusive (default: 30 days before `to`)' }),
  to: isoTime().optional().openapi({ description: 'End, exclusive (default: the end of the current hour)' }),
};
const metric = z.enum(analyticsMetrics).default('engagements');
const counts = Object.fromEntries(metricNames.map((name) => [name, z.number().int()])) as Record<MetricName, z.ZodNumber>;
const rate = z.number().nullable().openapi({ description: 'Percentage to 4 decimals; null when the divisor is 0' });

const overviewSchema = z
  .object({
    ...counts,
    engagements: z.number().int(),
    engagementRateByImpressions: rate,
    engagementRateByReach: rate,
    ctr: rate,
    publishSuccessRate: rate,
    posts: z.number().int().openapi({ description: 'Posts with engagement in the range' }),
  })
  .openapi('AnalyticsOverview');
const seriesSchema = z
  .object({
    metric: z.enum(analyticsMetrics),
    interval: z.enum(['hour', 'day']),
    tz: z.string(),
    points: z.array(z.object({ start: z.string().openapi({ description: 'ISO 8601 with the offset of `tz`' }), value: z.number().int() })),
  })
  .openapi('AnalyticsSeries');
const topPostsSchema = z.object({ posts: z.array(z.object({ postId: z.uuid(), accountId: z.uuid(), value: z.number().int() })) }).openapi('TopPosts');
const withEngagements = { ...counts, engagements: z.number().int() };
const postAnalyticsSchema = z
  .object({
    postId: z.uuid(),
    totals: z.object(withEngagements),
    capturedAt: z.string().nullable(),
    history: z.array(z.object({ start: z.string(), ...withEngagements })),
  })
  .openapi('PostAnalytics');

/** Analytics over the engagement read models; answers are cached until a projection moves. */
export const analyticsRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  const cache = new QueryCache({ pool: deps.pool, logger: deps.logger, redis: deps.redis, metrics: deps.metrics });
  const projections = [...analyticsProjections];
  /** The workspace of the path once the caller may read its analytics, and the checkpoints of its cache keys, read meanwhile. */
  const workspace = async ({ req, principal }: { req: Request; principal: Principal }, readAhead = true): Promise<{ workspaceId: string; checkpoints?: Checkpoints }> => {
    const workspaceId = pathId(req, 'workspaceId', 'The workspace');
    const checkpoints = readAhead ? cache.checkpoints(projections) : undefined;
    await accessWorkspace(deps.commands, principal, workspaceId, 'analytics:read');
    return { workspaceId, checkpoints };
  };
  const rangeParams = (r: TimeRange) => ({ from: r.from.toISOString(), to: r.to.toISOString() });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/analytics/overview',
    reads: projections,
    summary: 'Totals, engagement rates, CTR and publish success rate over a range',
    tag: 'analytics',
    auth: 'any',
    query: z.object({ ...range, accountId: z.uuid().optional() }),
    responses: { 200: { description: 'The overview', schema: overviewSchema } },
    async handler(ctx) {
      const { workspaceId, checkpoints } = await workspace(ctx);
      const scope = { workspaceId, ...checkedRange(ctx.query, deps.now()), accountId: ctx.query.accountId?.toLowerCase() };
      const params = { ...rangeParams(scope), accountId: scope.accountId };
      ctx.res.json(await cache.get({ workspaceId, route: 'overview', params, projections }, () => overview(deps.pool, scope), checkpoints));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/analytics/accounts/{accountId}',
    reads: projections,
    summary: 'The overview of one social account',
    tag: 'analytics',
    auth: 'any',
    query: z.object(range),
    responses: { 200: { description: 'The overview of the account', schema: overviewSchema } },
    async handler(ctx) {
      const { workspaceId, checkpoints } = await workspace(ctx);
      const accountId = pathId(ctx.req, 'accountId', 'The social account');
      await loadInWorkspace(deps.commands, `account-${accountId}`, accountDecider, workspaceId, 'The social account');
      const scope = { workspaceId, ...checkedRange(ctx.query, deps.now()), accountId };
      const params = { ...rangeParams(scope), accountId };
      ctx.res.json(await cache.get({ workspaceId, route: 'overview', params, projections }, () => overview(deps.pool, scope), checkpoints));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/analytics/timeseries',
    reads: projections,
    summary: 'A metric per hour or per day of a time zone; hours without data are 0',
    tag: 'analytics',
    auth: 'any',
    query: z.object({
      ...range,
      metric,
      interval: z.enum(['hour', 'day']).default('day'),
      tz: z.string().refine(isTimeZone, 'must be an IANA time zone').default('UTC').openapi({ description: 'IANA time zone of the days (default UTC)' }),
      accountId: z.uuid().optional(),
    }),
    responses: { 200: { description: 'The series', schema: seriesSchema } },
    async handler(ctx) {
      const { workspaceId, checkpoints } = await workspace(ctx);
      const { metric: name, interval, tz } = ctx.query;
      const checked = checkedRange(ctx.query, deps.now());
      const hours = (checked.to.getTime() - checked.from.getTime()) / 3_600_000;
      if ((interval === 'hour' ? hours : hours / 24) > MAX_POINTS) {
        throw new ValidationFailed([{ in: 'query', field: 'to', message: `an ${interval}ly series has at most ${MAX_POINTS} points` }]);
      }
      const query = { workspaceId, ...checked, metric: name, interval, tz, accountId: ctx.query.accountId?.toLowerCase() };
      const params = { ...rangeParams(checked), metric: name, interval, tz, accountId: query.accountId };
      ctx.res.json(
        await cache.get({ workspaceId, route: 'timeseries', params, projections }, async () => ({ metric: name, interval, tz, points: await timeseries(deps.pool, query) }), checkpoints),
      );
    },
  });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/analytics/top-posts',
    reads: projections,
    summary: 'The posts with the most of a metric in a range',
    tag: 'analytics',
    auth: 'any',
    query: z.object({ ...range, metric, limit: z.coerce.number().int().min(1).max(100).default(10), accountId: z.uuid().optional() }),
    responses: { 200: { description: 'Ranked posts, most first', schema: topPostsSchema } },
    async handler(ctx) {
      const { workspaceId, checkpoints } = await workspace(ctx);
      const query = { workspaceId, ...checkedRange(ctx.query, deps.now()), metric: ctx.query.metric, limit: ctx.query.limit, accountId: ctx.query.accountId?.toLowerCase() };
      const params = { ...rangeParams(query), metric: query.metric, limit: query.limit, accountId: query.accountId };
      ctx.res.json(await cache.get({ workspaceId, route: 'top-posts', params, projections }, async () => ({ posts: await topPosts(deps.pool, query) }), checkpoints));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/posts/{postId}/analytics',
    reads: ['engagement'],
    summary: 'A post’s latest engagement totals and their hourly history',
    tag: 'analytics',
    auth: 'any',
    responses: { 200: { description: 'The post’s analytics', schema: postAnalyticsSchema } },
    async handler(ctx) {
      // its key has one projection's checkpoint, read after the post is found
      const { workspaceId } = await workspace(ctx, false);
      const postId = pathId(ctx.req, 'postId', 'The post');
      await loadInWorkspace(deps.commands, `post-${postId}`, postDecider, workspaceId, 'The post');
      const key = { workspaceId, route: 'post', params: { postId }, projections: ['engagement'] };
      ctx.res.json(await cache.get(key, () => postAnalytics(deps.pool, workspaceId, postId)));
    },
  });
};

function checkedRange(query: { from?: string; to?: string }, now: Date): TimeRange {
  const checked = rangeOf(query, now);
  if (checked.from >= checked.to) throw new ValidationFailed([{ in: 'query', field: 'from', message: 'must be before to' }]);
  return checked;
}

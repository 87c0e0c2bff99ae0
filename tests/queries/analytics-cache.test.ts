import { createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { engagementDecider, type EngagementMetrics, metricNames } from '../../src/domain/engagement';
import type { ApiDeps } from '../../src/http/api-deps';
import { ApiRouter } from '../../src/http/api-router';
import { createApp } from '../../src/http/app';
import { createRegistry } from '../../src/http/openapi';
import { createLogger } from '../../src/platform/logger';
import { createMetrics, type Metrics } from '../../src/platform/metrics';
import { createRedis } from '../../src/platform/redis';
import { QueryCache } from '../../src/queries/cache';
import { analyticsRoutes } from '../../src/queries/routes/analytics';
import { startTestApi, type TestApi } from '../support/api';
import { unusedPort } from '../support/ports';
import { connectAccount, draftPost, workspaceWithMembers, type Workspace } from '../commands/routes/workspace-fixtures';

const logger = createLogger('silent');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let api: TestApi;
let ws: Workspace;
let accountId: string;
let postId: string;
const clients: Redis[] = [];

const m = (likes: number): EngagementMetrics => ({ ...Object.fromEntries(metricNames.map((n) => [n, 0])), likes, impressions: likes * 10 }) as EngagementMetrics;
const range = { from: '2026-02-01T00:00:00Z', to: '2026-03-01T00:00:00Z' };

async function record(capturedAt: string, likes: number): Promise<void> {
  await api.assembly.deps.commands.handle({
    streamId: `engagement-${postId}`,
    decider: engagementDecider,
    command: { type: 'RecordEngagementSnapshots', postId, workspaceId: ws.id, accountId, snapshots: [{ capturedAt, metrics: m(likes) }] },
    metadata: { workspaceId: ws.id },
  });
  await api.projectionsCaughtUp();
}

/** The analytics routes alone, over the test API's deps with a cache of their own. */
function analyticsApp(extra: Partial<ApiDeps>): ReturnType<typeof request> {
  const deps = { ...api.assembly.deps, ...extra };
  const router = new ApiRouter(deps, createRegistry());
  analyticsRoutes(router, deps);
  return request(createApp({ logger, metrics: createMetrics(), readinessChecks: [], routes: [router.router] }));
}

async function counts(metrics: Metrics): Promise<{ hit: number; miss: number }> {
  const { values } = await metrics.analyticsCacheRequests.get();
  const of = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
  return { hit: of('hit'), miss: of('miss') };
}

beforeAll(async () => {
  api = await startTestApi();
  ws = await workspaceWithMembers(api);
  accountId = await connectAccount(api, ws.id, ws.owner);
  postId = await draftPost(api, ws.id, accountId, ws.owner);
  api.startProjectors();
  await record('2026-02-10T10:00:00Z', 5);
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await api.close();
});

describe('the analytics cache', () => {
  it('answers a repeated query from Redis until a projection moves on', async () => {
    const redis = createRedis(REDIS_URL, logger);
    clients.push(redis);
    const metrics = createMetrics();
    const http = analyticsApp({ redis, metrics });
    const overview = () => http.get(`/v1/workspaces/${ws.id}/analytics/overview`).query(range).set(ws.owner.auth);

    const first = await overview();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ likes: 5, impressions: 50 });
    expect(await counts(metrics)).toEqual({ hit: 0, miss: 1 });
    const second = await overview();
    expect(second.body).toEqual(first.body);
    expect(await counts(metrics)).toEqual({ hit: 1, miss: 1 });
    expect(await redis.keys(`postledger:query:${ws.id}:overview:*`)).toHaveLength(1);

    await record('2026-02-11T10:00:00Z', 8);
    const third = await overview();
    expect(third.body).toMatchObject({ likes: 8, impressions: 80 });
    expect(await counts(metrics)).toEqual({ hit: 1, miss: 2 });
    expect(await redis.keys(`postledger:query:${ws.id}:overview:*`)).toHaveLength(2);
  });

  it('keeps answering, correctly, when Redis is down', async () => {
    const redis = createRedis(`redis://127.0.0.1:${await unusedPort()}`, logger);
    clients.push(redis);
    const metrics = createMetrics();
    const http = analyticsApp({ redis, metrics });
    for (let i = 0; i < 2; i++) {
      const res = await http.get(`/v1/workspaces/${ws.id}/analytics/top-posts`).query({ ...range, metric: 'likes' }).set(ws.owner.auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ posts: [{ postId, accountId, value: 8 }] });
    }
    expect(await counts(metrics)).toEqual({ hit: 0, miss: 2 });
  });

  it('caches in memory without Redis, for each route, with or without metrics', async () => {
    const metrics = createMetrics();
    const http = analyticsApp({ metrics });
    const paths = ['analytics/overview', 'analytics/timeseries', 'analytics/top-posts', `analytics/accounts/${accountId}`, `posts/${postId}/analytics`];
    for (const path of paths) {
      const once = await http.get(`/v1/workspaces/${ws.id}/${path}`).query(range).set(ws.owner.auth);
      const twice = await http.get(`/v1/workspaces/${ws.id}/${path}`).query(range).set(ws.owner.auth);
      expect(twice.body).toEqual(once.body);
    }
    expect(await counts(metrics)).toEqual({ hit: 5, miss: 5 });
    // the service's own API has no metrics to count in, and still caches
    const res = await api.http.get(`/v1/workspaces/${ws.id}/analytics/overview`).set(ws.owner.auth);
    expect(res.status).toBe(200);
  });
});

describe('QueryCache', () => {
  const key = (route: string) => ({ workspaceId: ws.id, route, params: { a: 1, b: undefined }, projections: ['engagement'] });

  it('evicts the least recently used entry and expires entries after the TTL', async () => {
    let computed = 0;
    const compute = async () => ++computed;
    // a TTL well above what the five reads before the wait take on a loaded machine
    const cache = new QueryCache({ pool: api.pool, logger, maxEntries: 2, ttlMs: 1500 });
    expect(await cache.get(key('a'), compute)).toBe(1);
    expect(await cache.get(key('b'), compute)).toBe(2);
    expect(await cache.get(key('a'), compute)).toBe(1); // a is now the most recent
    expect(await cache.get(key('c'), compute)).toBe(3); // evicts b
    expect(await cache.get(key('a'), compute)).toBe(1);
    expect(await cache.get(key('b'), compute)).toBe(4);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await cache.get(key('a'), compute)).toBe(5);
  });

  it('uses checkpoints read ahead only for a key of the same projections, and the key still moves with them', async () => {
    let computed = 0;
    const compute = async () => ++computed;
    const cache = new QueryCache({ pool: api.pool, logger });
    const ahead = cache.checkpoints(['engagement']);
    expect(await cache.get(key('ahead'), compute, ahead)).toBe(1);
    expect(await cache.get(key('ahead'), compute)).toBe(1); // the same key as a read in sequence
    // read ahead for other projections: not used for this key
    const pool = { query: jest.fn(api.pool.query.bind(api.pool)) };
    const counting = new QueryCache({ pool: pool as never, logger });
    const other = counting.checkpoints(['posts']);
    expect(await counting.get(key('other'), compute, other)).toBe(2);
    expect(pool.query).toHaveBeenCalledTimes(2);
    expect(pool.query.mock.calls[1]![1]).toEqual([['engagement']]);
    // once the projection moves on, a read ahead sees it
    await record('2026-02-11T10:00:00Z', 6);
    expect(await cache.get(key('ahead'), compute, cache.checkpoints(['engagement']))).toBe(3);
  });

  it('lets a read-ahead that fails go unnoticed when its answer is not awaited, and fail the get when it is', async () => {
    const failing = { query: jest.fn(async () => Promise.reject(new Error('connection lost'))) };
    const cache = new QueryCache({ pool: failing as never, logger });
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      cache.checkpoints(['engagement']); // a caller refused meanwhile never awaits it
      const awaited = cache.checkpoints(['engagement']);
      await new Promise((r) => setTimeout(r, 20));
      await expect(cache.get(key('x'), async () => 1, awaited)).rejects.toThrow('connection lost');
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('computes the answer when Redis does not answer in time', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const redis = createRedis(`redis://127.0.0.1:${(silent.address() as { port: number }).port}`, logger);
    clients.push(redis);
    try {
      const cache = new QueryCache({ pool: api.pool, logger, redis, redisTimeoutMs: 50 });
      const started = Date.now();
      expect(await cache.get(key('slow'), async () => 'computed')).toBe('computed');
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      redis.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

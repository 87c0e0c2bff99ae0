import { engagementDecider, type EngagementMetrics, type EngagementSnapshot, metricNames } from '../../src/domain/engagement';
import { postDecider, type PublicationOutcome } from '../../src/domain/post';
import { startTestApi, type TestApi } from '../support/api';
import { connectAccount, draftPost, workspaceWithMembers, type Workspace } from '../commands/routes/workspace-fixtures';

let api: TestApi;
let ws: Workspace;
let dstWs: string;
let accountA: string;
let accountB: string;
let p1: string;
let p2: string;
let quiet: string;

const m = (values: Partial<EngagementMetrics>): EngagementMetrics => ({ ...Object.fromEntries(metricNames.map((n) => [n, 0])), ...values }) as EngagementMetrics;

async function record(workspaceId: string, accountId: string, postId: string, snapshots: EngagementSnapshot[]): Promise<void> {
  await api.assembly.deps.commands.handle({
    streamId: `engagement-${postId}`,
    decider: engagementDecider,
    command: { type: 'RecordEngagementSnapshots', postId, workspaceId, accountId, snapshots },
    metadata: { workspaceId },
  });
}

/** One like per UTC hour, captured at half past, for `hours` hours from `first`. */
async function hourlyLikes(workspaceId: string, accountId: string, first: string, hours: number): Promise<void> {
  const postId = await draftPost(api, workspaceId, accountId, ws.owner);
  const start = Date.parse(first);
  const snapshots = Array.from({ length: hours }, (_, i) => ({ capturedAt: new Date(start + i * 3_600_000).toISOString(), metrics: m({ likes: i + 1 }) }));
  await record(workspaceId, accountId, postId, snapshots);
}

async function publish(postId: string, outcome: PublicationOutcome): Promise<void> {
  const now = new Date().toISOString();
  const metadata = { workspaceId: ws.id };
  await api.assembly.deps.commands.handle({ streamId: `post-${postId}`, decider: postDecider, command: { type: 'PublishPost', by: ws.owner.userId, now, approvalRequired: false }, metadata });
  await api.assembly.deps.commands.handle({ streamId: `post-${postId}`, decider: postDecider, command: { type: 'RecordPublication', now, ...outcome }, metadata });
}

beforeAll(async () => {
  api = await startTestApi();
  ws = await workspaceWithMembers(api);
  [accountA, accountB] = [await connectAccount(api, ws.id, ws.owner), await connectAccount(api, ws.id, ws.owner)];
  [p1, p2, quiet] = [await draftPost(api, ws.id, accountA, ws.owner), await draftPost(api, ws.id, accountB, ws.owner), await draftPost(api, ws.id, accountA, ws.owner)];
  const early = { capturedAt: '2026-01-10T10:15:00Z', metrics: m({ impressions: 1000, reach: 800, likes: 40, comments: 5, shares: 3, saves: 2, clicks: 20, views: 500 }) };
  const latest = { capturedAt: '2026-01-10T11:30:00Z', metrics: m({ impressions: 1500, reach: 1000, likes: 60, comments: 10, shares: 5, saves: 5, clicks: 30, views: 700 }) };
  // out of order and duplicated in one batch, then a repeat and a late (older) one
  await record(ws.id, accountA, p1, [latest, early, latest]);
  await record(ws.id, accountA, p1, [latest, { capturedAt: '2026-01-10T10:45:00Z', metrics: m({ impressions: 1200, likes: 45 }) }]);
  await record(ws.id, accountB, p2, [{ capturedAt: '2026-01-10T12:00:00Z', metrics: m({ impressions: 500, reach: 400, likes: 10, clicks: 5, views: 100 }) }]);

  dstWs = await api.createWorkspace(ws.owner, 'DST');
  const dstAccount = await connectAccount(api, dstWs, ws.owner);
  // Europe/Berlin springs forward on 2026-03-29 (23 hours); America/New_York falls back on 2026-11-01 (25 hours)
  await hourlyLikes(dstWs, dstAccount, '2026-03-28T22:30:00Z', 25);
  await hourlyLikes(dstWs, dstAccount, '2026-11-01T03:30:00Z', 27);

  const [published, failed, retrying] = [await draftPost(api, ws.id, accountA, ws.owner), await draftPost(api, ws.id, accountA, ws.owner), await draftPost(api, ws.id, accountB, ws.owner)];
  await publish(published, { status: 'published', externalId: 'x-1', url: 'https://x.example/1' });
  await publish(failed, { status: 'failed', error: 'HTTP 400', retryable: false });
  await publish(retrying, { status: 'failed', error: 'HTTP 503', retryable: true });
  api.startProjectors();
  await api.projectionsCaughtUp();
});
afterAll(async () => {
  await api.close();
});

const analytics = (path: string, query: Record<string, string | number> = {}, workspaceId = ws.id) =>
  api.http.get(`/v1/workspaces/${workspaceId}/${path}`).query(query).set(ws.owner.auth);
const jan10 = { from: '2026-01-10T00:00:00Z', to: '2026-01-11T00:00:00Z' };

describe('GET /analytics/overview', () => {
  it('sums counted deltas only and applies the formulas', async () => {
    const res = await analytics('analytics/overview', jan10);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      impressions: 2000,
      reach: 1400,
      likes: 70,
      comments: 10,
      shares: 5,
      saves: 5,
      clicks: 35,
      views: 800,
      engagements: 90,
      engagementRateByImpressions: 4.5,
      engagementRateByReach: 6.4286,
      ctr: 1.75,
      publishSuccessRate: null,
      posts: 2,
    });
  });

  it('answers null rates when the divisors are 0', async () => {
    const res = await analytics('analytics/overview', { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' });
    expect(res.body).toMatchObject({ impressions: 0, engagements: 0, engagementRateByImpressions: null, engagementRateByReach: null, ctr: null, publishSuccessRate: null, posts: 0 });
  });

  it('counts only final outcomes in the publish success rate (default range: the last 30 days)', async () => {
    const res = await analytics('analytics/overview');
    expect(res.status).toBe(200);
    expect(res.body.publishSuccessRate).toBe(50);
    const b = await analytics('analytics/overview', { accountId: accountB });
    expect(b.body.publishSuccessRate).toBeNull();
  });

  it('scopes to one account with ?accountId and on the per-account route', async () => {
    const filtered = await analytics('analytics/overview', { ...jan10, accountId: accountA.toUpperCase() });
    expect(filtered.body).toMatchObject({ impressions: 1500, likes: 60, engagements: 80, posts: 1, ctr: 2 });
    const perAccount = await analytics(`analytics/accounts/${accountA}`, jan10);
    expect(perAccount.status).toBe(200);
    expect(perAccount.body).toEqual(filtered.body);
    const b = await analytics(`analytics/accounts/${accountB}`, jan10);
    expect(b.body).toMatchObject({ impressions: 500, likes: 10, engagements: 10, engagementRateByImpressions: 2, engagementRateByReach: 2.5, ctr: 1 });
  });
});

describe('GET /analytics/timeseries', () => {
  it('answers hourly points with empty hours as 0', async () => {
    const res = await analytics('analytics/timeseries', { metric: 'likes', interval: 'hour', from: '2026-01-10T09:00:00Z', to: '2026-01-10T13:00:00Z' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      metric: 'likes',
      interval: 'hour',
      tz: 'UTC',
      points: [
        { start: '2026-01-10T09:00:00+00:00', value: 0 },
        { start: '2026-01-10T10:00:00+00:00', value: 40 },
        { start: '2026-01-10T11:00:00+00:00', value: 20 },
        { start: '2026-01-10T12:00:00+00:00', value: 10 },
      ],
    });
  });

  it('sums engagements per day of the time zone (default metric and interval)', async () => {
    const res = await analytics('analytics/timeseries', { from: '2026-01-09T00:00:00-05:00', to: '2026-01-11T00:00:00-05:00', tz: 'America/New_York' });
    expect(res.body).toEqual({
      metric: 'engagements',
      interval: 'day',
      tz: 'America/New_York',
      points: [
        { start: '2026-01-09T00:00:00-05:00', value: 0 },
        { start: '2026-01-10T00:00:00-05:00', value: 90 },
      ],
    });
  });

  it('makes the Berlin spring-forward day 23 hours long', async () => {
    const res = await analytics('analytics/timeseries', { metric: 'likes', from: '2026-03-28T00:00:00+01:00', to: '2026-03-31T00:00:00+02:00', tz: 'Europe/Berlin' }, dstWs);
    expect(res.body.points).toEqual([
      { start: '2026-03-28T00:00:00+01:00', value: 1 },
      { start: '2026-03-29T00:00:00+01:00', value: 23 },
      { start: '2026-03-30T00:00:00+02:00', value: 1 },
    ]);
    const hours = await analytics('analytics/timeseries', { metric: 'likes', interval: 'hour', from: '2026-03-29T00:00:00+01:00', to: '2026-03-29T04:00:00+02:00', tz: 'Europe/Berlin' }, dstWs);
    expect(hours.body.points).toEqual([
      { start: '2026-03-29T00:00:00+01:00', value: 1 },
      { start: '2026-03-29T01:00:00+01:00', value: 1 },
      { start: '2026-03-29T03:00:00+02:00', value: 1 },
    ]);
  });

  it('makes the New York fall-back day 25 hours long', async () => {
    const res = await analytics('analytics/timeseries', { metric: 'likes', from: '2026-10-31T00:00:00-04:00', to: '2026-11-03T00:00:00-05:00', tz: 'America/New_York' }, dstWs);
    expect(res.body.points).toEqual([
      { start: '2026-10-31T00:00:00-04:00', value: 1 },
      { start: '2026-11-01T00:00:00-04:00', value: 25 },
      { start: '2026-11-02T00:00:00-05:00', value: 1 },
    ]);
  });
});

describe('GET /analytics/top-posts', () => {
  it('ranks posts by the sum of a metric in the range', async () => {
    const res = await analytics('analytics/top-posts', { ...jan10, metric: 'impressions' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      posts: [
        { postId: p1, accountId: accountA, value: 1500 },
        { postId: p2, accountId: accountB, value: 500 },
      ],
    });
    const top = await analytics('analytics/top-posts', { ...jan10, limit: 1 });
    expect(top.body.posts).toEqual([{ postId: p1, accountId: accountA, value: 80 }]);
    const scoped = await analytics('analytics/top-posts', { ...jan10, accountId: accountB });
    expect(scoped.body.posts).toEqual([{ postId: p2, accountId: accountB, value: 10 }]);
  });
});

describe('GET /posts/{id}/analytics', () => {
  it('answers the latest totals and their hourly history', async () => {
    const res = await analytics(`posts/${p1}/analytics`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      postId: p1,
      totals: { impressions: 1500, reach: 1000, likes: 60, comments: 10, shares: 5, saves: 5, clicks: 30, views: 700, engagements: 80 },
      capturedAt: '2026-01-10T11:30:00.000Z',
      history: [
        { start: '2026-01-10T10:00:00.000Z', impressions: 1000, reach: 800, likes: 40, comments: 5, shares: 3, saves: 2, clicks: 20, views: 500, engagements: 50 },
        { start: '2026-01-10T11:00:00.000Z', impressions: 500, reach: 200, likes: 20, comments: 5, shares: 2, saves: 3, clicks: 10, views: 200, engagements: 30 },
      ],
    });
  });

  it('answers zeros for a post without snapshots', async () => {
    const res = await analytics(`posts/${quiet}/analytics`);
    expect(res.body).toEqual({ postId: quiet, totals: { ...m({}), engagements: 0 }, capturedAt: null, history: [] });
  });
});

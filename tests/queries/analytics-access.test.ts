import { startTestApi, type TestApi } from '../support/api';
import { connectAccount, draftPost, issueApiKey, workspaceWithMembers, type Auth, type Workspace } from '../commands/routes/workspace-fixtures';

let api: TestApi;
let ws: Workspace;
let other: Workspace;
let routes: string[];
let otherPost: string;
let otherAccount: string;
let reader: Auth;
let collector: Auth;
let otherReader: Auth;

beforeAll(async () => {
  api = await startTestApi();
  [ws, other] = await Promise.all([workspaceWithMembers(api), workspaceWithMembers(api)]);
  const accountId = await connectAccount(api, ws.id, ws.owner);
  const postId = await draftPost(api, ws.id, accountId, ws.owner);
  otherAccount = await connectAccount(api, other.id, other.owner);
  otherPost = await draftPost(api, other.id, otherAccount, other.owner);
  routes = ['analytics/overview', 'analytics/timeseries', 'analytics/top-posts', `analytics/accounts/${accountId}`, `posts/${postId}/analytics`].map((p) => `/v1/workspaces/${ws.id}/${p}`);
  reader = (await issueApiKey(api, ws.id, ws.owner, ['analytics:read'])).auth;
  collector = (await issueApiKey(api, ws.id, ws.owner, ['engagement:write'])).auth;
  otherReader = (await issueApiKey(api, other.id, other.owner, ['analytics:read'])).auth;
});
afterAll(async () => {
  await api.close();
});

describe('analytics permissions', () => {
  it('answers a viewer and an API key with analytics:read on every route', async () => {
    for (const route of routes) {
      expect((await api.http.get(route).set(ws.members.viewer.auth)).status).toBe(200);
      expect((await api.http.get(route).set(reader)).status).toBe(200);
    }
  });

  it('refuses a key without analytics:read (403), non-members and other workspaces’ keys (404), and no credentials (401)', async () => {
    for (const route of routes) {
      await api.refused(() => api.http.get(route).set(collector), 403);
      await api.refused(() => api.http.get(route).set(other.owner.auth), 404);
      await api.refused(() => api.http.get(route).set(otherReader), 404);
      await api.refused(() => api.http.get(route), 401);
    }
  });

  it('does not reveal another workspace’s post or account, nor ids that are not UUIDs', async () => {
    const base = `/v1/workspaces/${ws.id}`;
    await api.refused(() => api.http.get(`${base}/posts/${otherPost}/analytics`).set(ws.owner.auth), 404);
    await api.refused(() => api.http.get(`${base}/analytics/accounts/${otherAccount}`).set(ws.owner.auth), 404);
    await api.refused(() => api.http.get(`${base}/posts/not-a-uuid/analytics`).set(ws.owner.auth), 404);
    await api.refused(() => api.http.get(`${base}/analytics/accounts/not-a-uuid`).set(ws.owner.auth), 404);
  });
});

describe('analytics query parameters', () => {
  const bad: [string, Record<string, string>, string][] = [
    ['timeseries', { metric: 'followers' }, 'metric'],
    ['top-posts', { metric: 'followers' }, 'metric'],
    ['timeseries', { interval: 'week' }, 'interval'],
    ['timeseries', { tz: 'Mars/Olympus' }, 'tz'],
    ['timeseries', { tz: '+01:00' }, 'tz'],
    ['top-posts', { limit: '0' }, 'limit'],
    ['top-posts', { limit: '101' }, 'limit'],
    ['top-posts', { limit: 'ten' }, 'limit'],
    ['overview', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
    ['overview', { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
    ['overview', { from: 'yesterday' }, 'from'],
    ['overview', { to: '2026-01-01' }, 'to'],
    ['overview', { accountId: 'acme' }, 'accountId'],
    ['timeseries', { interval: 'hour', from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, 'to'],
    ['timeseries', { from: '2000-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' }, 'to'],
  ];
  it.each(bad)('refuses %s with %j as 422 naming %s', async (route, query, field) => {
    const res = await api.refused(() => api.http.get(`/v1/workspaces/${ws.id}/analytics/${route}`).query(query).set(ws.owner.auth), 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', field })]));
  });

  it('accepts the largest hourly series and a full year of days', async () => {
    const hourly = await api.http.get(`/v1/workspaces/${ws.id}/analytics/timeseries`).query({ interval: 'hour', from: '2026-01-01T00:00:00Z', to: '2026-04-03T00:00:00Z' }).set(ws.owner.auth);
    expect(hourly.status).toBe(200);
    expect(hourly.body.points).toHaveLength(92 * 24);
    const daily = await api.http.get(`/v1/workspaces/${ws.id}/analytics/timeseries`).query({ from: '2025-01-01T00:00:00+09:00', to: '2026-01-01T00:00:00+09:00', tz: 'Asia/Tokyo' }).set(ws.owner.auth);
    expect(daily.body.points).toHaveLength(365);
    expect(daily.body.points[0]).toEqual({ start: '2025-01-01T00:00:00+09:00', value: 0 });
  });
});

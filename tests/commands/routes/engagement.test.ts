import { randomUUID } from 'node:crypto';
import { metricNames, type EngagementMetrics } from '../../../src/domain/engagement';
import { can } from '../../../src/domain/permissions';
import { workspaceRoles } from '../../../src/domain/workspace/roles';
import { startTestApi, type TestApi } from '../../support/api';
import { connectAccount, draftPost, issueApiKey, withoutAppending, workspaceWithMembers, type Auth, type Workspace } from './workspace-fixtures';

let api: TestApi;
let ws: Workspace;
let other: Workspace;
let accountId: string;
let collector: Auth;
let collectorId: string;
let otherPostId: string;

beforeAll(async () => {
  api = await startTestApi();
  [ws, other] = await Promise.all([workspaceWithMembers(api), workspaceWithMembers(api)]);
  accountId = await connectAccount(api, ws.id, ws.owner);
  const key = await issueApiKey(api, ws.id, ws.owner, ['engagement:write']);
  collector = key.auth;
  collectorId = key.id;
  otherPostId = await draftPost(api, other.id, await connectAccount(api, other.id, other.owner), other.owner);
});
afterAll(async () => {
  await api.close();
});

const engagement = (workspaceId: string) => `/v1/workspaces/${workspaceId}/engagement`;
const newPost = () => draftPost(api, ws.id, accountId, ws.owner);
const metrics = (n: number): EngagementMetrics => Object.fromEntries(metricNames.map((name) => [name, n])) as EngagementMetrics;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
const snapshot = (postId: string, hours = 1, n = 10) => ({ postId, capturedAt: hoursAgo(hours), metrics: metrics(n) });

describe('POST /v1/workspaces/{ws}/engagement', () => {
  it('records each post’s snapshots on its own stream and answers 202 with the count', async () => {
    const [first, second] = await Promise.all([newPost(), newPost()]);
    const res = await api.http
      .post(engagement(ws.id))
      .set(collector)
      .send({ snapshots: [snapshot(first, 2, 10), snapshot(second, 1, 5), snapshot(first, 1, 15)] });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 3 });
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    const stream = await api.store.readStream(`engagement-${first}`);
    expect(stream.map((e) => e.data)).toEqual([
      expect.objectContaining({ postId: first, workspaceId: ws.id, accountId, metrics: metrics(10), delta: metrics(10), counted: true }),
      expect.objectContaining({ metrics: metrics(15), delta: metrics(5), counted: true }),
    ]);
    expect(stream[0]!.metadata).toMatchObject({ actor: { type: 'apiKey', id: collectorId }, workspaceId: ws.id });
    expect(BigInt(res.headers['x-event-position']!)).toBe((await api.events()).at(-1)!.position);
  });

  it('records a repeated snapshot without counting it again', async () => {
    const postId = await newPost();
    const once = snapshot(postId, 1, 7);
    await api.http.post(engagement(ws.id)).set(collector).send({ snapshots: [once] }).expect(202);
    const again = await api.http.post(engagement(ws.id)).set(collector).send({ snapshots: [once] });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ accepted: 1 });
    const [, repeated] = await api.store.readStream(`engagement-${postId}`);
    expect(repeated!.data).toMatchObject({ counted: false, delta: metrics(0) });
  });

  it('counts each snapshot once when batches for the same posts race, and after a long run of repeats', async () => {
    const [a, b] = await Promise.all([newPost(), newPost()]);
    // a run of repeats longer than the tail a batch reads at once: the state is read further back
    const first = snapshot(a, 30, 1);
    await api.http.post(engagement(ws.id)).set(collector).send({ snapshots: [first, ...Array.from({ length: 9 }, () => first)] }).expect(202);
    // batches at once, each a newer snapshot of both posts: appends decided on a state that moved meanwhile are decided again
    const batches = Array.from({ length: 6 }, (_, i) => ({ snapshots: [snapshot(a, 20 - i, 10 + i), snapshot(b, 20 - i, 10 + i)] }));
    const responses = await Promise.all(batches.map((body) => api.http.post(engagement(ws.id)).set(collector).send(body)));
    // a writer that keeps losing the race gives up with 409 (retryable) after a few attempts
    expect(responses.every((r) => r.status === 202 || r.status === 409)).toBe(true);
    expect(responses.filter((r) => r.status === 202).length).toBeGreaterThan(1);
    for (const postId of [a, b]) {
      const counted = (await api.store.readStream(`engagement-${postId}`)).map((e) => e.data as { counted: boolean; delta: EngagementMetrics; metrics: EngagementMetrics }).filter((d) => d.counted);
      // the deltas of what counted add up to the latest total: nothing counted twice
      expect(counted.reduce((sum, d) => sum + d.delta.likes, 0)).toBe(counted.at(-1)!.metrics.likes);
    }
  });

  it('accepts 1000 snapshots across 50 posts, one stream per post', async () => {
    const posts = await Promise.all(Array.from({ length: 50 }, newPost));
    const snapshots = Array.from({ length: 1000 }, (_, i) => snapshot(posts[i % 50]!, 1 + Math.floor(i / 50), 1000 - i));
    const before = (await api.events()).length;
    const res = await api.http.post(engagement(ws.id)).set(collector).send({ snapshots });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 1000 });
    expect((await api.events()).length).toBe(before + 1000);
    for (const postId of [posts[0]!, posts[49]!]) expect(await api.store.readStream(`engagement-${postId}`)).toHaveLength(20);
  });

  it('answers 422 for 1001 snapshots', async () => {
    const postId = await newPost();
    const snapshots = Array.from({ length: 1001 }, (_, i) => snapshot(postId, 1 + i));
    const res = await withoutAppending(api, () => api.http.post(engagement(ws.id)).set(collector).send({ snapshots }));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'body', field: 'snapshots' })]);
  });

  it('accepts a body beyond the global 1 MiB limit, and answers 413 beyond 5 MiB', async () => {
    const postId = await newPost();
    const json = JSON.stringify({ snapshots: [snapshot(postId)] });
    const big = await api.http
      .post(engagement(ws.id))
      .set(collector)
      .set('Content-Type', 'application/json')
      .send(json + ' '.repeat(2 * 1024 * 1024));
    expect(big.status).toBe(202);
    const tooBig = await withoutAppending(api, () =>
      api.http
        .post(engagement(ws.id))
        .set(collector)
        .set('Content-Type', 'application/json')
        .send(json + ' '.repeat(5 * 1024 * 1024)),
    );
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers['content-type']).toMatch(/application\/problem\+json/);
    const elsewhere = await api.http
      .post(`/v1/workspaces/${ws.id}/accounts`)
      .set(ws.owner.auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ platform: 'x', handle: '@acme', externalId: 'e-1' }) + ' '.repeat(2 * 1024 * 1024));
    expect(elsewhere.status).toBe(413);
  });

  it('changes nothing when one post is unknown or another workspace’s, and names it in the 404', async () => {
    const known = await newPost();
    for (const stranger of [randomUUID(), otherPostId]) {
      const res = await withoutAppending(api, () => api.http.post(engagement(ws.id)).set(collector).send({ snapshots: [snapshot(known), snapshot(stranger)] }));
      expect(res.status).toBe(404);
      expect(res.body.detail).toContain(stranger);
    }
  });

  it('reads post ids case-insensitively', async () => {
    const postId = await newPost();
    const res = await api.http.post(engagement(ws.id)).set(collector).send({ snapshots: [snapshot(postId.toUpperCase())] });
    expect(res.status).toBe(202);
    expect(await api.store.readStream(`engagement-${postId}`)).toHaveLength(1);
  });

  it.each([
    ['no fields', {}, 'snapshots'],
    ['no snapshots', { snapshots: [] }, 'snapshots'],
    ['a post id that is not a UUID', { snapshots: [{ ...snapshot(randomUUID()), postId: 'post-1' }] }, 'snapshots.0.postId'],
    ['a time without offset', { snapshots: [{ ...snapshot(randomUUID()), capturedAt: '2025-03-01T09:30:00' }] }, 'snapshots.0.capturedAt'],
    ['a time finer than the nanosecond', { snapshots: [{ ...snapshot(randomUUID()), capturedAt: '2025-03-01T09:30:00.1234567891Z' }] }, 'snapshots.0.capturedAt'],
    ['a negative metric', { snapshots: [{ ...snapshot(randomUUID()), metrics: { ...metrics(1), likes: -1 } }] }, 'snapshots.0.metrics.likes'],
    ['a fractional metric', { snapshots: [{ ...snapshot(randomUUID()), metrics: { ...metrics(1), views: 1.5 } }] }, 'snapshots.0.metrics.views'],
    ['a metric beyond 2^53', { snapshots: [{ ...snapshot(randomUUID()), metrics: { ...metrics(1), reach: 2 ** 53 } }] }, 'snapshots.0.metrics.reach'],
    ['a missing metric', { snapshots: [{ ...snapshot(randomUUID()), metrics: { ...metrics(1), saves: undefined } }] }, 'snapshots.0.metrics.saves'],
    ['an unknown metric', { snapshots: [{ ...snapshot(randomUUID()), metrics: { ...metrics(1), retweets: 3 } }] }, 'snapshots.0.metrics'],
    ['an unknown field', { snapshots: [{ ...snapshot(randomUUID()), platform: 'x' }] }, 'snapshots.0'],
  ])('answers %s with 422 naming the field and appends nothing', async (_case, body, field) => {
    const res = await withoutAppending(api, () => api.http.post(engagement(ws.id)).set(collector).send(body));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
  });

  it('answers 422 for a snapshot captured in the future (beyond a little clock skew)', async () => {
    const postId = await newPost();
    const soon = new Date(Date.now() + 60_000).toISOString();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const res = await withoutAppending(api, () =>
      api.http.post(engagement(ws.id)).set(collector).send({ snapshots: [{ ...snapshot(postId), capturedAt: soon }, { ...snapshot(postId), capturedAt: later }] }),
    );
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'body', field: 'snapshots.1.capturedAt' })]);
  });

  it('refuses an anonymous caller (401), a key without engagement:write (403) and a key of another workspace (404)', async () => {
    const postId = await newPost();
    const body = { snapshots: [snapshot(postId)] };
    const reader = await issueApiKey(api, ws.id, ws.owner, ['analytics:read', 'posts:write', 'posts:publish', 'generations:write']);
    const foreign = await issueApiKey(api, other.id, other.owner, ['engagement:write']);
    expect((await withoutAppending(api, () => api.http.post(engagement(ws.id)).send(body))).status).toBe(401);
    expect((await withoutAppending(api, () => api.http.post(engagement(ws.id)).set(reader.auth).send(body))).status).toBe(403);
    expect((await withoutAppending(api, () => api.http.post(engagement(ws.id)).set(foreign.auth).send(body))).status).toBe(404);
    expect((await withoutAppending(api, () => api.http.post(engagement('not-a-uuid')).set(collector).send(body))).status).toBe(404);
  });

  it.each(workspaceRoles)('lets the role %s record exactly when it may engagement:record, else 403', async (role) => {
    const postId = await newPost();
    const send = () => api.http.post(engagement(ws.id)).set(ws.members[role].auth).send({ snapshots: [snapshot(postId)] });
    const allowed = can(role, 'engagement:record');
    const res = allowed ? await send() : await withoutAppending(api, send);
    expect(res.status).toBe(allowed ? 202 : 403);
  });
});

import { startTestApi, type TestApi } from '../support/api';
import { postsWorkspace, type PostsWorkspace } from '../commands/routes/posts-support';
import type { PostSummary } from '../../src/queries/posts';

let api: TestApi;
let ws: PostsWorkspace;

beforeAll(async () => {
  api = await startTestApi();
  api.startProjectors();
  ws = await postsWorkspace(api);
});
afterAll(async () => {
  await api.close();
});

describe('X-Min-Position: read your writes', () => {
  it('always shows a just-drafted post in the list when asked for its position (40 times in a row)', async () => {
    for (let i = 0; i < 40; i++) {
      const created = await api.http.post(ws.path()).set(ws.owner.auth).send({ accountId: ws.accountId, content: `read your write ${i}` });
      expect(created.status).toBe(201);
      const position = created.headers['x-event-position'] as string;
      expect(position).toMatch(/^\d+$/);
      const list = await api.http.get(ws.path()).query({ limit: 1 }).set(ws.owner.auth).set('X-Min-Position', position);
      expect(list.status).toBe(200);
      expect((list.body.items as PostSummary[]).map((p) => p.id)).toEqual([created.body.id]);
    }
  });

  it('shows a just-added comment and a just-connected account at once', async () => {
    const post = await ws.draft(ws.owner.auth);
    for (let i = 0; i < 10; i++) {
      const comment = await api.http.post(`${ws.path(post.id)}/comments`).set(ws.owner.auth).send({ body: `comment ${i}` });
      expect(comment.status).toBe(201);
      const threads = await api.http.get(`${ws.path(post.id)}/comments`).set(ws.owner.auth).set('X-Min-Position', comment.headers['x-event-position'] as string);
      expect(threads.status).toBe(200);
      expect(threads.body.items).toHaveLength(i + 1);
    }
    const account = await api.http.post(`/v1/workspaces/${ws.workspaceId}/accounts`).set(ws.owner.auth).send({ platform: 'bluesky', handle: '@acme.bsky', externalId: 'did:plc:1' });
    const accounts = await api.http.get(`/v1/workspaces/${ws.workspaceId}/accounts`).set(ws.owner.auth).set('X-Min-Position', account.headers['x-event-position'] as string);
    expect(accounts.status).toBe(200);
    expect((accounts.body.items as { id: string }[]).map((a) => a.id)).toContain(account.body.id);
  });

  it('answers a projection that does not read the event at once: it has read past it', async () => {
    // a post event concerns neither memberships nor the analytics projections, which only scan past it
    const created = await api.http.post(ws.path()).set(ws.owner.auth).send({ accountId: ws.accountId, content: 'not a membership' });
    const position = created.headers['x-event-position'] as string;
    const workspaces = await api.http.get('/v1/workspaces').set(ws.owner.auth).set('X-Min-Position', position);
    expect(workspaces.status).toBe(200);
    const overview = await api.http.get(`/v1/workspaces/${ws.workspaceId}/analytics/overview`).set(ws.owner.auth).set('X-Min-Position', position);
    expect(overview.status).toBe(200);
  });

  it('sees a new workspace member in /v1/me of the member', async () => {
    const member = await api.register();
    const added = await api.http.post(`/v1/workspaces/${ws.workspaceId}/members`).set(ws.owner.auth).send({ email: member.email, role: 'viewer' });
    expect(added.status).toBe(201);
    const me = await api.http.get('/v1/me').set(member.auth).set('X-Min-Position', added.headers['x-event-position'] as string);
    expect(me.status).toBe(200);
    expect(me.body.workspaces).toEqual([expect.objectContaining({ id: ws.workspaceId, role: 'viewer' })]);
  });

  it.each([['abc'], ['-1'], ['1.5'], ['99999999999999999999'], ['']])('refuses X-Min-Position %j with 422 naming the header', async (value) => {
    const res = await api.http.get(ws.path()).set(ws.owner.auth).set('X-Min-Position', value);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'headers', field: 'X-Min-Position' })]);
  });

  it('needs no wait on routes that read the log', async () => {
    const post = await ws.draft(ws.owner.auth);
    const far = '9000000000000000000';
    const res = await api.http.get(ws.path(post.id)).set(ws.owner.auth).set('X-Min-Position', far);
    expect(res.status).toBe(200);
  });
});

describe('X-Min-Position when a projection does not catch up', () => {
  let slow: TestApi;
  let slowWs: PostsWorkspace;

  beforeAll(async () => {
    slow = await startTestApi({ minPositionTimeoutMs: 300 });
    slow.startProjectors();
    slowWs = await postsWorkspace(slow);
  });
  afterAll(async () => {
    await slow.close();
  });

  it('answers 503 with Retry-After once the bounded wait is over, then 200 when the projection is back', async () => {
    const posts = slow.projectors.find((p) => p.name === 'posts')!;
    await posts.stop();
    const created = await slow.http.post(slowWs.path()).set(slowWs.owner.auth).send({ accountId: slowWs.accountId, content: 'while stopped' });
    const position = created.headers['x-event-position'] as string;

    const res = await slow.http.get(slowWs.path()).set(slowWs.owner.auth).set('X-Min-Position', position);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.body).toMatchObject({ status: 503, code: 'ReadModelsBehind' });
    expect(res.body.detail).toContain('posts');

    posts.start();
    await slow.projectionsCaughtUp();
    const again = await slow.http.get(slowWs.path()).set(slowWs.owner.auth).set('X-Min-Position', position);
    expect(again.status).toBe(200);
    expect((again.body.items as PostSummary[]).map((p) => p.id)).toContain(created.body.id);
  });
});

describe('X-Min-Position without notifications', () => {
  it('still sees the projections catch up by rechecking', async () => {
    const quiet = await startTestApi({ minPositionTimeoutMs: 10_000 });
    try {
      const quietWs = await postsWorkspace(quiet);
      const created = await quiet.http.post(quietWs.path()).set(quietWs.owner.auth).send({ accountId: quietWs.accountId, content: 'projected later' });
      const position = created.headers['x-event-position'] as string;
      // the request waits first; the projectors start while it does
      const pending = quiet.http.get(quietWs.path()).set(quietWs.owner.auth).set('X-Min-Position', position).then((res) => res);
      await new Promise((r) => setTimeout(r, 300));
      // progress without its NOTIFY: only the periodic recheck can notice it
      await quiet.pool.query(`insert into pl_projection_checkpoints (name, position, status, read_position) values ('posts', 0, 'running', $1)`, [position]);
      const res = await pending;
      expect(res.status).toBe(200);
    } finally {
      await quiet.close();
    }
  });
});

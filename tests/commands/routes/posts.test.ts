import { randomUUID } from 'node:crypto';
import { startTestApi, type TestApi } from '../../support/api';
import { apiKey, connectAccount, content, inOneDay, postsWorkspace, published, type PostsWorkspace } from './posts-support';

let api: TestApi;
let ws: PostsWorkspace;

beforeAll(async () => {
  api = await startTestApi();
  ws = await postsWorkspace(api);
});
afterAll(async () => {
  await api.close();
});

describe('POST /v1/workspaces/{ws}/posts', () => {
  it('drafts a post and answers with the post view, ETag, position and Location', async () => {
    const res = await api.http
      .post(ws.path())
      .set(ws.owner.auth)
      .send({ accountId: ws.accountId, content: `  ${content}\n`, media: ['https://cdn.example.com/a.png'], tags: ['#Launch', 'launch', 'Q3'] });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      workspaceId: ws.workspaceId,
      accountId: ws.accountId,
      authorId: ws.owner.userId,
      status: 'draft',
      content,
      media: ['https://cdn.example.com/a.png'],
      tags: ['launch', 'q3'],
      approvals: [],
      approvalsRequired: 1,
      approved: false,
      scheduledAt: null,
      scheduleTrigger: null,
      attempts: 0,
      externalId: null,
      url: null,
      publishedAt: null,
      lastError: null,
      rejectionReason: null,
    });
    expect(res.headers.etag).toBe('W/"0"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect(res.headers.location).toBe(`${ws.path()}/${res.body.id}`);
    const [event] = await api.store.readStream(`post-${res.body.id}`);
    expect(event).toMatchObject({ type: 'PostDrafted', metadata: { actor: { type: 'user', id: ws.owner.userId }, workspaceId: ws.workspaceId } });
  });

  it('refuses an unknown, a foreign and a disconnected account with 422 on accountId', async () => {
    const other = await postsWorkspace(api);
    const disconnected = await connectAccount(api, ws.workspaceId, ws.owner);
    expect((await api.http.delete(`/v1/workspaces/${ws.workspaceId}/accounts/${disconnected}`).set(ws.owner.auth)).status).toBe(204);
    const before = (await api.events()).length;
    for (const accountId of [randomUUID(), other.accountId, disconnected]) {
      const res = await api.http.post(ws.path()).set(ws.owner.auth).send({ accountId, content });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([expect.objectContaining({ in: 'body', field: 'accountId' })]);
    }
    expect((await api.events()).length).toBe(before);
  });

  it('drafts for an account that needs reconnecting: it can be reconnected before the post goes out', async () => {
    const accountId = await connectAccount(api, ws.workspaceId, ws.owner);
    const marked = await api.http.post(`/v1/workspaces/${ws.workspaceId}/accounts/${accountId}/needs-reconnect`).set(ws.owner.auth).send({ reason: 'token expired' });
    expect(marked.status).toBe(200);
    const res = await api.http.post(ws.path()).set(ws.owner.auth).send({ accountId, content });
    expect(res.status).toBe(201);
  });

  it('replays an Idempotency-Key: one post, the same answer; another body is 422', async () => {
    const body = { accountId: ws.accountId, content: 'Once only' };
    const first = await api.http.post(ws.path()).set(ws.owner.auth).set('Idempotency-Key', 'draft-once').send(body);
    const again = await api.http.post(ws.path()).set(ws.owner.auth).set('Idempotency-Key', 'draft-once').send(body);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    const other = await api.http.post(ws.path()).set(ws.owner.auth).set('Idempotency-Key', 'draft-once').send({ ...body, content: 'Twice' });
    expect(other.status).toBe(422);
    const drafted = (await api.events()).filter((e) => e.type === 'PostDrafted' && (e.data as { content: string }).content === 'Once only');
    expect(drafted).toHaveLength(1);
  });
});

describe('PATCH /v1/workspaces/{ws}/posts/{id}', () => {
  it('changes only what is given and answers 200 with the new revision', async () => {
    const post = await ws.draft(ws.owner.auth, { tags: ['launch'] });
    const res = await ws.act(ws.owner.auth, post.id, 'edit', { content: 'Edited', media: ['https://cdn.example.com/b.png'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ content: 'Edited', media: ['https://cdn.example.com/b.png'], tags: ['launch'], status: 'draft' });
    expect(res.headers.etag).toBe('W/"1"');
  });

  it('appends nothing for an edit that changes nothing and answers the current revision', async () => {
    const post = await ws.draft(ws.owner.auth);
    const before = (await api.events()).length;
    const res = await ws.act(ws.owner.auth, post.id, 'edit', { content });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('W/"0"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect((await api.events()).length).toBe(before);
  });

  it('lets a contributor edit and delete their own posts but not anyone else’s (403)', async () => {
    const contributor = await ws.member('contributor');
    const own = await ws.draft(contributor.auth);
    const others = await ws.draft(ws.owner.auth);
    expect((await ws.act(contributor.auth, own.id, 'edit', { content: 'Mine' })).status).toBe(200);
    const before = (await api.events()).length;
    const edit = await ws.act(contributor.auth, others.id, 'edit', { content: 'Not mine' });
    expect(edit.status).toBe(403);
    expect((await ws.act(contributor.auth, others.id, 'delete')).status).toBe(403);
    expect((await api.events()).length).toBe(before);
    expect((await ws.act(contributor.auth, own.id, 'delete')).status).toBe(204);
  });
});

describe('DELETE /v1/workspaces/{ws}/posts/{id}', () => {
  it('answers 204 with ETag and position; every later command is 409 PostIsDeleted', async () => {
    const post = await ws.draft(ws.owner.auth);
    const res = await ws.act(ws.owner.auth, post.id, 'delete');
    expect(res.status).toBe(204);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    for (const [verb, body] of [['edit', { content: 'x' }], ['submit', undefined], ['schedule', { at: inOneDay() }], ['delete', undefined]] as const) {
      const again = await ws.act(ws.owner.auth, post.id, verb, body);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('PostIsDeleted');
    }
  });

  it('refuses to delete a post while it is being published (409)', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'publish');
    const res = await ws.act(ws.owner.auth, post.id, 'delete');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('PostIsPublishing');
  });
});

describe('visibility', () => {
  it("answers 404 for another workspace's post, for a stranger, and for an unknown or non-UUID id", async () => {
    const post = await ws.draft(ws.owner.auth);
    const other = await postsWorkspace(api);
    const through = await api.http.patch(`${other.path()}/${post.id}`).set(other.owner.auth).send({ content: 'hijack' });
    expect(through.status).toBe(404);
    const stranger = await ws.act(other.owner.auth, post.id, 'edit', { content: 'hijack' });
    expect(stranger.status).toBe(404);
    expect((await ws.act(ws.owner.auth, randomUUID(), 'submit')).status).toBe(404);
    expect((await api.http.post(`${ws.path()}/not-a-uuid/submit`).set(ws.owner.auth)).status).toBe(404);
    expect((await api.http.post('/v1/workspaces/not-a-uuid/posts').set(ws.owner.auth).send({ accountId: ws.accountId, content })).status).toBe(404);
    expect((await api.http.patch(`/v1/workspaces/${ws.workspaceId.toUpperCase()}/posts/${post.id}`).set(ws.owner.auth).send({ content: 'case' })).status).toBe(200);
  });

  it("answers 404, not 412, for another workspace's post with an If-Match", async () => {
    const post = await ws.draft(ws.owner.auth);
    const other = await postsWorkspace(api);
    const res = await api.http.post(`${other.path()}/${post.id}/submit`).set(other.owner.auth).set('If-Match', 'W/"7"');
    expect(res.status).toBe(404);
  });

  it('refuses an anonymous caller with 401', async () => {
    const post = await ws.draft(ws.owner.auth);
    expect((await api.http.post(`${ws.path()}/${post.id}/submit`)).status).toBe(401);
  });
});

describe('If-Match', () => {
  it('is 412 on a stale revision, succeeds on the current one, and is 422 when malformed', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'edit', { content: 'Second' });
    const stale = await ws.act(ws.owner.auth, post.id, 'edit', { content: 'Third' }).set('If-Match', 'W/"0"');
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'PreconditionFailed', currentRevision: '1' });
    const fresh = await ws.act(ws.owner.auth, post.id, 'submit').set('If-Match', 'W/"1"');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.etag).toBe('W/"2"');
    const malformed = await ws.act(ws.owner.auth, post.id, 'delete').set('If-Match', 'soon');
    expect(malformed.status).toBe(422);
    expect(malformed.body.errors).toEqual([expect.objectContaining({ in: 'headers', field: 'If-Match' })]);
  });
});

describe('API keys', () => {
  it('drafts and edits with posts:write; the key is the author and the actor', async () => {
    const key = await apiKey(api, ws.workspaceId, ws.owner.userId, ['posts:write']);
    const created = await api.http.post(ws.path()).set(key.auth).send({ accountId: ws.accountId, content });
    expect(created.status).toBe(201);
    expect(created.body.authorId).toBe(key.id);
    const edited = await ws.act(key.auth, created.body.id, 'edit', { tags: ['api'] });
    expect(edited.status).toBe(200);
    expect(edited.body.tags).toEqual(['api']);
    const events = await api.store.readStream(`post-${created.body.id}`);
    expect(events.map((e) => e.metadata.actor)).toEqual([
      { type: 'apiKey', id: key.id },
      { type: 'apiKey', id: key.id },
    ]);
  });

  it('acts as an editor for the approval policy', async () => {
    const own = await postsWorkspace(api);
    const key = await apiKey(api, own.workspaceId, own.owner.userId, ['posts:write']);
    const { auth } = key;
    const post = await own.draft(auth);
    expect((await own.act(auth, post.id, 'schedule', { at: inOneDay() })).status).toBe(200);
    await own.policy(['editor']);
    const second = await own.draft(auth);
    const refused = await own.act(auth, second.id, 'publish');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PostNotApproved');
    const edited = await own.act(auth, post.id, 'edit', { content: 'Changed after scheduling' });
    expect(edited.body).toMatchObject({ status: 'pending_approval', scheduledAt: null });
  });

  it('records a publication with posts:publish', async () => {
    const key = await apiKey(api, ws.workspaceId, ws.owner.userId, ['posts:publish']);
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'publish');
    const res = await ws.act(key.auth, post.id, 'publication', published);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'published', externalId: published.externalId, url: published.url });
  });

  it('is 403 without the scope and 404 for another workspace', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'publish');
    const reader = await apiKey(api, ws.workspaceId, ws.owner.userId, ['analytics:read']);
    const writer = await apiKey(api, ws.workspaceId, ws.owner.userId, ['posts:write']);
    const publisher = await apiKey(api, ws.workspaceId, ws.owner.userId, ['posts:publish']);
    const other = await postsWorkspace(api);
    const foreign = await apiKey(api, other.workspaceId, other.owner.userId, ['posts:write', 'posts:publish']);
    const before = (await api.events()).length;
    const draft = { accountId: ws.accountId, content };
    expect((await api.http.post(ws.path()).set(reader.auth).send(draft)).status).toBe(403);
    expect((await api.http.post(ws.path()).set(publisher.auth).send(draft)).status).toBe(403);
    expect((await ws.act(writer.auth, post.id, 'publication', published)).status).toBe(403);
    expect((await ws.act(writer.auth, post.id, 'approve')).status).toBe(403);
    expect((await ws.act(writer.auth, post.id, 'delete')).status).toBe(403);
    expect((await api.http.post(ws.path()).set(foreign.auth).send(draft)).status).toBe(404);
    expect((await ws.act(foreign.auth, post.id, 'publication', published)).status).toBe(404);
    expect((await api.events()).length).toBe(before);
  });
});

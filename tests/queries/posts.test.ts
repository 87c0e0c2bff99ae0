import { startTestApi, type TestApi } from '../support/api';
import { postsWorkspace, published, type PostsWorkspace } from '../commands/routes/posts-support';

let api: TestApi;
let ws: PostsWorkspace;

beforeAll(async () => {
  api = await startTestApi();
  ws = await postsWorkspace(api);
});
afterAll(async () => {
  await api.close();
});

const pause = () => new Promise((r) => setTimeout(r, 5));

describe('GET /v1/workspaces/{ws}/posts/{id}', () => {
  it('answers the post as the commands left it, with its ETag, at once', async () => {
    const post = await ws.draft(ws.owner.auth);
    const edited = await ws.act(ws.owner.auth, post.id, 'edit', { content: 'Edited' });
    const res = await api.http.get(ws.path(post.id)).set(ws.owner.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(edited.body);
    expect(res.headers.etag).toBe('W/"1"');
  });

  it('folds the history up to a position or a time with asOf', async () => {
    const drafted = await api.http.post(ws.path()).set(ws.owner.auth).send({ accountId: ws.accountId, content: 'First words' });
    const id = drafted.body.id as string;
    await pause();
    const afterDraft = new Date().toISOString();
    await pause();
    const edit = await ws.act(ws.owner.auth, id, 'edit', { content: 'Second words' });
    await ws.ok(ws.owner.auth, id, 'publish');
    await ws.ok(ws.owner.auth, id, 'publication', published);

    const byPosition = await api.http.get(ws.path(id)).query({ asOf: drafted.headers['x-event-position'] }).set(ws.owner.auth);
    expect(byPosition.status).toBe(200);
    expect(byPosition.body).toMatchObject({ status: 'draft', content: 'First words' });
    expect(byPosition.headers.etag).toBe('W/"0"');
    const byEditPosition = await api.http.get(ws.path(id)).query({ asOf: edit.headers['x-event-position'] }).set(ws.owner.auth);
    expect(byEditPosition.body).toMatchObject({ status: 'draft', content: 'Second words' });

    const byTime = await api.http.get(ws.path(id)).query({ asOf: afterDraft }).set(ws.owner.auth);
    expect(byTime.status).toBe(200);
    expect(byTime.body).toMatchObject({ status: 'draft', content: 'First words' });
    const now = await api.http.get(ws.path(id)).query({ asOf: new Date(Date.now() + 60_000).toISOString() }).set(ws.owner.auth);
    expect(now.body).toMatchObject({ status: 'published', content: 'Second words', externalId: published.externalId });

    // before the post existed
    await api.refused(() => api.http.get(ws.path(id)).query({ asOf: '1' }).set(ws.owner.auth), 404);
    await api.refused(() => api.http.get(ws.path(id)).query({ asOf: '2000-01-01T00:00:00Z' }).set(ws.owner.auth), 404);
  });

  it.each(['yesterday', '-1', '2025-01-01', '12345678901234567890'])('refuses asOf=%s with 422 naming it', async (asOf) => {
    const post = await ws.draft(ws.owner.auth);
    const res = await api.refused(() => api.http.get(ws.path(post.id)).query({ asOf }).set(ws.owner.auth), 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'query', field: 'asOf' })]);
  });

  it('is 404 for a deleted post, at any point of its history', async () => {
    const drafted = await api.http.post(ws.path()).set(ws.owner.auth).send({ accountId: ws.accountId, content: 'Soon gone' });
    await ws.ok(ws.owner.auth, drafted.body.id, 'delete');
    await api.refused(() => api.http.get(ws.path(drafted.body.id)).set(ws.owner.auth), 404);
    await api.refused(() => api.http.get(ws.path(drafted.body.id)).query({ asOf: drafted.headers['x-event-position'] }).set(ws.owner.auth), 404);
    await api.refused(() => api.http.get(`${ws.path(drafted.body.id)}/history`).set(ws.owner.auth), 404);
  });
});

describe('GET /v1/workspaces/{ws}/posts/{id}/history', () => {
  it("lists the post's events oldest first, with who caused each", async () => {
    const editor = await ws.member('editor');
    const post = await ws.draft(ws.owner.auth);
    await api.http.patch(ws.path(post.id)).set(editor.auth).set('X-Correlation-Id', 'edit-42').send({ content: 'Better words', tags: ['news'] });
    await ws.ok(ws.owner.auth, post.id, 'submit');
    const res = await api.http.get(`${ws.path(post.id)}/history`).set(editor.auth);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items).toEqual([
      {
        position: expect.stringMatching(/^\d+$/),
        revision: 0,
        type: 'PostDrafted',
        occurredAt: expect.any(String),
        actor: { type: 'user', id: ws.owner.userId },
        correlationId: expect.any(String),
        data: expect.objectContaining({ postId: post.id, workspaceId: ws.workspaceId, content: post.content }),
      },
      expect.objectContaining({ revision: 1, type: 'PostEdited', actor: { type: 'user', id: editor.userId }, correlationId: 'edit-42', data: { changes: { content: 'Better words', tags: ['news'] } } }),
      expect.objectContaining({ revision: 2, type: 'PostSubmitted', data: { approvalsRequired: 1 } }),
    ]);
    const positions = res.body.items.map((e: { position: string }) => BigInt(e.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
  });

  it('shows events without metadata with a null actor and correlation', async () => {
    const post = await ws.draft(ws.owner.auth);
    await api.store.appendToStream(`post-${post.id}`, [{ id: crypto.randomUUID(), type: 'PostSubmitted', data: { approvalsRequired: 1 } }]);
    const res = await api.http.get(`${ws.path(post.id)}/history`).set(ws.owner.auth);
    expect(res.body.items[1]).toMatchObject({ type: 'PostSubmitted', actor: null, correlationId: null });
  });
});

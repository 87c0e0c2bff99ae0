import { startTestApi, type TestApi } from '../support/api';
import { postsWorkspace, type PostsWorkspace } from '../commands/routes/posts-support';

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

const comment = async (postId: string, body: string, parentId?: string): Promise<string> => {
  const res = await api.http.post(`${ws.path(postId)}/comments`).set(ws.owner.auth).send({ body, parentId });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const remove = async (commentId: string) => expect((await api.http.delete(`/v1/workspaces/${ws.workspaceId}/comments/${commentId}`).set(ws.owner.auth)).status).toBe(204);
const threads = async (postId: string, query: Record<string, string | number> = {}) => {
  await api.projectionsCaughtUp();
  const res = await api.http.get(`${ws.path(postId)}/comments`).query(query).set(ws.owner.auth);
  expect(res.status).toBe(200);
  return res.body;
};

describe('GET /v1/workspaces/{ws}/posts/{id}/comments', () => {
  it('answers threads oldest first, replies nested at any depth', async () => {
    const post = await ws.draft(ws.owner.auth);
    const a = await comment(post.id, 'First');
    const b = await comment(post.id, 'Second');
    const a1 = await comment(post.id, 'Reply to first', a);
    const a1x = await comment(post.id, 'Reply to the reply', a1);
    const a2 = await comment(post.id, 'Another reply', a);
    expect((await api.http.patch(`/v1/workspaces/${ws.workspaceId}/comments/${a2}`).set(ws.owner.auth).send({ body: 'Another reply, edited' })).status).toBe(200);
    const node = (id: string, body: string, replies: unknown[] = [], editedAt: unknown = null) => ({
      id,
      authorId: ws.owner.userId,
      body,
      createdAt: expect.any(String),
      editedAt,
      deleted: false,
      replies,
    });
    expect(await threads(post.id)).toEqual({
      items: [node(a, 'First', [node(a1, 'Reply to first', [node(a1x, 'Reply to the reply')]), node(a2, 'Another reply, edited', [], expect.any(String))]), node(b, 'Second')],
      nextCursor: null,
    });
  });

  it('keeps a deleted comment without its text while it has replies, and drops it otherwise', async () => {
    const post = await ws.draft(ws.owner.auth);
    const kept = await comment(post.id, 'Will be deleted');
    const reply = await comment(post.id, 'A reply', kept);
    const gone = await comment(post.id, 'Deleted alone');
    const goneReply = await comment(post.id, 'Deleted reply', gone);
    await remove(kept);
    await remove(goneReply);
    await remove(gone);
    const { items } = await threads(post.id);
    expect(items).toEqual([expect.objectContaining({ id: kept, body: null, deleted: true, replies: [expect.objectContaining({ id: reply, body: 'A reply', deleted: false })] })]);
  });

  it('pages the top level with a cursor; replies come with their thread', async () => {
    const post = await ws.draft(ws.owner.auth);
    const tops: string[] = [];
    for (let i = 0; i < 5; i++) tops.push(await comment(post.id, `Top ${i}`));
    const reply = await comment(post.id, 'Reply on the last', tops[4]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await threads(post.id, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c: { id: string }) => c.id));
      if (page.items.at(-1)?.id === tops[4]) expect(page.items.at(-1).replies).toEqual([expect.objectContaining({ id: reply })]);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(tops);
  });

  it('answers an empty list for a post without comments', async () => {
    const post = await ws.draft(ws.owner.auth);
    expect(await threads(post.id)).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    ['limit', { limit: '0' }],
    ['limit', { limit: '201' }],
    ['limit', { limit: 'abc' }],
    ['cursor', { cursor: 'garbage' }],
  ])('refuses a bad %s with 422', async (field, query) => {
    const post = await ws.draft(ws.owner.auth);
    const res = await api.refused(() => api.http.get(`${ws.path(post.id)}/comments`).query(query).set(ws.owner.auth), 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'query', field })]);
  });

  it('is 404 for a deleted post', async () => {
    const post = await ws.draft(ws.owner.auth);
    await comment(post.id, 'Before deletion');
    await ws.ok(ws.owner.auth, post.id, 'delete');
    await api.refused(() => api.http.get(`${ws.path(post.id)}/comments`).set(ws.owner.auth), 404);
  });
});

/** Tenant isolation and permissions on every query route of this slice. */
import { randomUUID } from 'node:crypto';
import { startTestApi, type TestApi, type TestUser } from '../support/api';
import { apiKey, postsWorkspace, type Auth, type PostsWorkspace } from '../commands/routes/posts-support';

let api: TestApi;
let ws: PostsWorkspace;
let other: PostsWorkspace;
let postId: string;
let otherPostId: string;
let viewer: TestUser;

beforeAll(async () => {
  api = await startTestApi();
  api.startProjectors();
  ws = await postsWorkspace(api);
  other = await postsWorkspace(api);
  postId = (await ws.draft(ws.owner.auth)).id;
  otherPostId = (await other.draft(other.owner.auth)).id;
  viewer = await ws.member('viewer');
  await api.projectionsCaughtUp();
});
afterAll(async () => {
  await api.close();
});

/** Each route by name: its path in a workspace, for a post. */
const routes: Record<string, (workspaceId: string, post: string) => string> = {
  workspace: (w) => `/v1/workspaces/${w}`,
  accounts: (w) => `/v1/workspaces/${w}/accounts`,
  posts: (w) => `/v1/workspaces/${w}/posts`,
  post: (w, p) => `/v1/workspaces/${w}/posts/${p}`,
  history: (w, p) => `/v1/workspaces/${w}/posts/${p}/history`,
  comments: (w, p) => `/v1/workspaces/${w}/posts/${p}/comments`,
};
const names = Object.keys(routes);
const get = (path: string, auth: Auth) => api.http.get(path).set(auth);

describe.each(names)('GET %s', (name) => {
  const path = routes[name]!;

  it('answers a viewer', async () => {
    expect((await get(path(ws.workspaceId, postId), viewer.auth)).status).toBe(200);
  });

  it("is 404 for another workspace's id, a non-UUID and a non-member", async () => {
    await api.refused(() => get(path(other.workspaceId, otherPostId), ws.owner.auth), 404);
    await api.refused(() => get(path('not-a-uuid', postId), ws.owner.auth), 404);
    await api.refused(() => get(path(randomUUID(), postId), ws.owner.auth), 404);
    await api.refused(() => get(path(ws.workspaceId, postId), other.owner.auth), 404);
  });

  it('answers a key of the workspace with analytics:read (but comments need comment:read)', async () => {
    const key = await apiKey(api, ws.workspaceId, ws.owner.userId, ['analytics:read']);
    const res = await get(path(ws.workspaceId, postId), key.auth);
    expect(res.status).toBe(name === 'comments' ? 403 : 200);
  });

  it("is 404 for another workspace's key, 403 for a key without a read scope, 401 without credentials", async () => {
    const foreign = await apiKey(api, other.workspaceId, other.owner.userId, ['analytics:read']);
    await api.refused(() => get(path(ws.workspaceId, postId), foreign.auth), 404);
    const writer = await apiKey(api, ws.workspaceId, ws.owner.userId, ['engagement:write']);
    await api.refused(() => get(path(ws.workspaceId, postId), writer.auth), 403);
    await api.refused(() => api.http.get(path(ws.workspaceId, postId)), 401);
  });
});

describe.each(['post', 'history', 'comments'])("GET %s of another workspace's post", (name) => {
  it('is 404 through this workspace, and for an unknown or non-UUID post', async () => {
    const path = routes[name]!;
    await api.refused(() => get(path(ws.workspaceId, otherPostId), ws.owner.auth), 404);
    await api.refused(() => get(path(ws.workspaceId, randomUUID()), ws.owner.auth), 404);
    await api.refused(() => get(path(ws.workspaceId, 'nope'), ws.owner.auth), 404);
  });
});

describe('the posts list across workspaces', () => {
  it("never shows another workspace's posts, even filtered by its account", async () => {
    const res = await get(`${routes.posts!(ws.workspaceId, postId)}?accountId=${other.accountId}`, ws.owner.auth);
    expect(res.body.items).toEqual([]);
    const own = await get(routes.posts!(ws.workspaceId, postId), ws.owner.auth);
    expect(own.body.items.map((p: { id: string }) => p.id)).toEqual([postId]);
  });
});

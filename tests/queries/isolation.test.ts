import { startTestApi, type TestApi } from '../support/api';
import { postsWorkspace, type PostsWorkspace } from '../commands/routes/posts-support';

let api: TestApi;
let ws: PostsWorkspace;
/** Ids of workspace `ws`'s resources, by path parameter. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  api = await startTestApi();
  api.startProjectors();
  ws = await postsWorkspace(api);
  ids.workspaceId = ws.workspaceId;
  ids.accountId = ws.accountId;
  ids.postId = (await ws.draft(ws.owner.auth)).id;
  const generation = await api.http.post(`/v1/workspaces/${ws.workspaceId}/generations`).set(ws.owner.auth).send({ kind: 'caption', prompt: 'A caption' });
  expect(generation.status).toBe(202);
  ids.generationId = generation.body.id;
  await api.projectionsCaughtUp();
}, 60_000);
afterAll(async () => {
  await api.close();
});

/** Every GET route of the API under one workspace, from its own OpenAPI document, so that a new route is covered at once. */
async function workspaceGetRoutes(): Promise<string[]> {
  const document = (await api.http.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths)
    .filter(([path, operations]) => path.startsWith('/v1/workspaces/{workspaceId}') && 'get' in operations)
    .map(([path]) => path);
}

const fill = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!ids[name]) throw new Error(`no id for {${name}} in ${path}: add one to the fixture`);
    return ids[name];
  });

describe('every GET route under a workspace', () => {
  it('covers the workspace, posts, comments, accounts, analytics, generations and API keys', async () => {
    const routes = await workspaceGetRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(12);
    expect(routes).toEqual(expect.arrayContaining(['/v1/workspaces/{workspaceId}/posts', '/v1/workspaces/{workspaceId}/analytics/overview', '/v1/workspaces/{workspaceId}/api-keys']));
  });

  it("is 404 to a member of another workspace, for that workspace's own resources", async () => {
    const stranger = await api.register();
    const otherWorkspace = await api.createWorkspace(stranger, 'Elsewhere');
    for (const path of await workspaceGetRoutes()) {
      const res = await api.http.get(fill(path)).set(stranger.auth);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      // and through the stranger's own workspace, ws's resources are not found either
      if (path.includes('{postId}') || path.includes('{accountId}') || path.includes('{generationId}')) {
        const across = await api.http.get(fill(path).replace(ws.workspaceId, otherWorkspace)).set(stranger.auth);
        expect([path, across.status]).toEqual([path, 404]);
      }
    }
  });

  it('is 401 without credentials and answers the owner (200)', async () => {
    for (const path of await workspaceGetRoutes()) {
      expect([path, (await api.http.get(fill(path))).status]).toEqual([path, 401]);
      expect([path, (await api.http.get(fill(path)).set(ws.owner.auth)).status]).toEqual([path, 200]);
    }
  });
});

import { startTestApi, type TestApi } from '../support/api';
import { apiKey, connectAccount, postsWorkspace, type PostsWorkspace } from '../commands/routes/posts-support';

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

describe('GET /v1/workspaces/{ws}/accounts', () => {
  it('lists accounts oldest first, disconnected ones only on request', async () => {
    const second = await connectAccount(api, ws.workspaceId, ws.owner);
    const third = await connectAccount(api, ws.workspaceId, ws.owner);
    expect((await api.http.post(`/v1/workspaces/${ws.workspaceId}/accounts/${third}/needs-reconnect`).set(ws.owner.auth).send({ reason: 'token expired' })).status).toBe(200);
    expect((await api.http.delete(`/v1/workspaces/${ws.workspaceId}/accounts/${second}`).set(ws.owner.auth)).status).toBe(204);
    await api.projectionsCaughtUp();
    const res = await api.http.get(`/v1/workspaces/${ws.workspaceId}/accounts`).set(ws.owner.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { id: ws.accountId, workspaceId: ws.workspaceId, platform: 'x', handle: '@acme', externalId: expect.any(String), status: 'connected', reconnectReason: null, connectedAt: expect.any(String) },
        expect.objectContaining({ id: third, status: 'needs_reconnect', reconnectReason: 'token expired' }),
      ],
      nextCursor: null,
    });
    const all = await api.http.get(`/v1/workspaces/${ws.workspaceId}/accounts?includeDisconnected=true`).set(ws.owner.auth);
    expect(all.body.items.map((a: { id: string }) => a.id)).toEqual([ws.accountId, second, third]);

    const first = await api.http.get(`/v1/workspaces/${ws.workspaceId}/accounts?includeDisconnected=true&limit=2`).set(ws.owner.auth);
    expect(first.body.items).toHaveLength(2);
    const rest = await api.http.get(`/v1/workspaces/${ws.workspaceId}/accounts?includeDisconnected=true&limit=2&cursor=${first.body.nextCursor}`).set(ws.owner.auth);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ id: third })], nextCursor: null });
  });

  it.each([
    ['includeDisconnected', 'includeDisconnected=yes'],
    ['limit', 'limit=0'],
    ['cursor', 'cursor=x'],
  ])('refuses a bad %s with 422', async (field, query) => {
    const res = await api.refused(() => api.http.get(`/v1/workspaces/${ws.workspaceId}/accounts?${query}`).set(ws.owner.auth), 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'query', field })]);
  });
});

describe('GET /v1/workspaces', () => {
  it("lists the caller's workspaces with their role", async () => {
    const user = await api.register();
    const mine = await api.createWorkspace(user, 'Zeta');
    await api.http.post(`/v1/workspaces/${ws.workspaceId}/members`).set(ws.owner.auth).send({ email: user.email, role: 'editor' });
    await api.projectionsCaughtUp();
    const res = await api.http.get('/v1/workspaces').set(user.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { id: ws.workspaceId, name: 'Acme', role: 'editor' },
        { id: mine, name: 'Zeta', role: 'owner' },
      ],
      nextCursor: null,
    });
  });

  it('is for signed-in users, not API keys', async () => {
    const key = await apiKey(api, ws.workspaceId, ws.owner.userId, ['analytics:read']);
    await api.refused(() => api.http.get('/v1/workspaces').set(key.auth), 401);
  });
});

describe('GET /v1/workspaces/{ws}', () => {
  it('answers the workspace with members, policy and ETag, consistent with the last command', async () => {
    const editor = await ws.member('editor');
    const policy = await api.http.put(`/v1/workspaces/${ws.workspaceId}/approval-policy`).set(ws.owner.auth).send({ requireApprovalFor: ['contributor'], approvalsRequired: 2 });
    const res = await api.http.get(`/v1/workspaces/${ws.workspaceId}`).set(editor.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(policy.body);
    expect(res.body.members).toEqual(expect.arrayContaining([{ userId: editor.userId, role: 'editor' }]));
    expect(res.body.approvalPolicy).toEqual({ requireApprovalFor: ['contributor'], approvalsRequired: 2 });
    expect(res.headers.etag).toBe(policy.headers.etag);
  });
});

import { startTestApi, type TestApi, type TestUser } from '../../support/api';

let api: TestApi;
let owner: TestUser;
let workspaceId: string;

beforeAll(async () => {
  api = await startTestApi();
  owner = await api.register();
  workspaceId = await api.createWorkspace(owner);
});
afterAll(async () => {
  await api.close();
});

describe('POST /v1/workspaces', () => {
  it('creates a workspace whose creator is its owner, with ETag, position and Location', async () => {
    const res = await api.http.post('/v1/workspaces').set(owner.auth).send({ name: '  Launch team ' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Launch team', members: [{ userId: owner.userId, role: 'owner' }], approvalPolicy: { requireApprovalFor: ['contributor'], approvalsRequired: 1 } });
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect(res.headers.location).toBe(`/v1/workspaces/${res.body.id}`);
    const events = (await api.store.readStream(`workspace-${res.body.id}`)).map((e) => [e.type, e.metadata.actor]);
    expect(events).toEqual([
      ['WorkspaceCreated', { type: 'user', id: owner.userId }],
      ['MemberAdded', { type: 'user', id: owner.userId }],
    ]);
  });

  it('refuses an anonymous caller with 401 problem+json', async () => {
    const res = await api.http.post('/v1/workspaces').send({ name: 'x' });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ name: 5 }, 'name'],
    [{ name: 'ok', extra: true }, 'extra'],
  ])('answers %j with 422 naming the field and appends nothing', async (body, field) => {
    const before = (await api.events()).length;
    const res = await api.http.post('/v1/workspaces').set(owner.auth).send(body);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
    expect((await api.events()).length).toBe(before);
  });
});

describe('members', () => {
  it('adds, re-roles and removes a member; the removed member is refused at once', async () => {
    const editor = await api.member(workspaceId, owner, 'editor');
    const changed = await api.http.patch(`/v1/workspaces/${workspaceId}/members/${editor.userId}`).set(owner.auth).send({ role: 'viewer' });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ userId: editor.userId, role: 'viewer' });
    const removed = await api.http.delete(`/v1/workspaces/${workspaceId}/members/${editor.userId}`).set(owner.auth);
    expect(removed.status).toBe(204);
    const after = await api.http.put(`/v1/workspaces/${workspaceId}/approval-policy`).set(editor.auth).send({ requireApprovalFor: [], approvalsRequired: 1 });
    expect(after.status).toBe(404);
  });

  it('keeps the last owner from leaving', async () => {
    const res = await api.http.delete(`/v1/workspaces/${workspaceId}/members/${owner.userId}`).set(owner.auth);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('LastOwnerCannotLeave');
  });

  it('answers 404 for an unknown email and for another workspace', async () => {
    const res = await api.http.post(`/v1/workspaces/${workspaceId}/members`).set(owner.auth).send({ email: 'nobody@example.com', role: 'editor' });
    expect(res.status).toBe(404);
    const stranger = await api.register();
    const other = await api.http.post(`/v1/workspaces/${workspaceId}/members`).set(stranger.auth).send({ email: stranger.email, role: 'owner' });
    expect(other.status).toBe(404);
  });

  it('lets an admin manage members but forbids a viewer (403)', async () => {
    const viewer = await api.member(workspaceId, owner, 'viewer');
    const res = await api.http.put(`/v1/workspaces/${workspaceId}/approval-policy`).set(viewer.auth).send({ requireApprovalFor: [], approvalsRequired: 1 });
    expect(res.status).toBe(403);
    const admin = await api.member(workspaceId, owner, 'admin');
    const ok = await api.http.put(`/v1/workspaces/${workspaceId}/approval-policy`).set(admin.auth).send({ requireApprovalFor: ['contributor', 'editor'], approvalsRequired: 2 });
    expect(ok.status).toBe(200);
    expect(ok.body.approvalPolicy).toEqual({ requireApprovalFor: ['editor', 'contributor'], approvalsRequired: 2 });
  });

  it('honours If-Match: a stale revision is 412, the current one succeeds', async () => {
    const ws = await api.createWorkspace(owner);
    const stale = await api.http.put(`/v1/workspaces/${ws}/approval-policy`).set(owner.auth).set('If-Match', 'W/"0"').send({ requireApprovalFor: [], approvalsRequired: 1 });
    expect(stale.status).toBe(412);
    const fresh = await api.http.put(`/v1/workspaces/${ws}/approval-policy`).set(owner.auth).set('If-Match', 'W/"1"').send({ requireApprovalFor: [], approvalsRequired: 1 });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.etag).toBe('W/"2"');
    const malformed = await api.http.put(`/v1/workspaces/${ws}/approval-policy`).set(owner.auth).set('If-Match', 'abc').send({ requireApprovalFor: [], approvalsRequired: 1 });
    expect(malformed.status).toBe(422);
  });

  it('replays an Idempotency-Key and refuses it with another body', async () => {
    const first = await api.http.post('/v1/workspaces').set(owner.auth).set('Idempotency-Key', 'create-ws-1').send({ name: 'Once' });
    const again = await api.http.post('/v1/workspaces').set(owner.auth).set('Idempotency-Key', 'create-ws-1').send({ name: 'Once' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.headers.etag).toBe(first.headers.etag);
    const other = await api.http.post('/v1/workspaces').set(owner.auth).set('Idempotency-Key', 'create-ws-1').send({ name: 'Twice' });
    expect(other.status).toBe(422);
    const created = (await api.events()).filter((e) => e.type === 'WorkspaceCreated' && (e.data as { name: string }).name === 'Once');
    expect(created).toHaveLength(1);
  });

  it('treats a non-UUID path id as 404', async () => {
    const res = await api.http.put('/v1/workspaces/not-a-uuid/approval-policy').set(owner.auth).send({ requireApprovalFor: [], approvalsRequired: 1 });
    expect(res.status).toBe(404);
  });
});

import { appendPostEvents, eventually, startRealtimeTestBed, type RealtimeTestBed, TestClient, workspacePositions } from './support';

describe('realtime subscriptions', () => {
  let bed: RealtimeTestBed;

  beforeAll(async () => {
    bed = await startRealtimeTestBed();
  });
  afterAll(() => bed.close());

  it('never sends an event of another workspace, and refuses a workspace the user is not a member of', async () => {
    const alice = await bed.api.register();
    const bob = await bed.api.register();
    const ours = await bed.api.createWorkspace(alice, 'Ours');
    const theirs = await bed.api.createWorkspace(bob, 'Theirs');
    const a = await TestClient.connect(bed.url, alice.accessToken);
    const b = await TestClient.connect(bed.url, bob.accessToken);
    expect(await a.subscribe(ours)).toMatchObject({ type: 'caught-up', workspaceId: ours });
    expect(await b.subscribe(theirs)).toMatchObject({ type: 'caught-up' });
    // alice asks for bob's workspace, from the start of the log: refused, and nothing of it arrives
    expect(await a.subscribe(theirs, 0n)).toMatchObject({ type: 'error', code: 'workspace-not-found', workspaceId: theirs });
    await Promise.all([appendPostEvents(bed.api, ours, 20), appendPostEvents(bed.api, theirs, 20)]);
    const created = await bed.api.http.post(`/v1/workspaces/${theirs}/accounts`).set(bob.auth).send({ platform: 'x', handle: 'bob', externalId: 'b1' });
    expect(created.status).toBe(201);
    await eventually('bob got his events', () => b.events().length >= 21);
    await eventually('alice got hers', () => a.events().length >= 20);
    expect(a.events().every((e) => e.metadata.workspaceId === ours)).toBe(true);
    expect(b.events().every((e) => e.metadata.workspaceId === theirs)).toBe(true);
    expect(a.positions()).toEqual(await workspacePositions(bed.api, ours, BigInt(a.messages.find((m) => m.type === 'caught-up')!.position!)));
    a.close();
    b.close();
  });

  it('sends API-key events to owners and admins only, and follows a role change live', async () => {
    const owner = await bed.api.register();
    const workspaceId = await bed.api.createWorkspace(owner);
    const viewer = await bed.api.member(workspaceId, owner, 'viewer');
    const o = await TestClient.connect(bed.url, owner.accessToken);
    const v = await TestClient.connect(bed.url, viewer.accessToken);
    await o.subscribe(workspaceId);
    await v.subscribe(workspaceId);
    const createKey = (name: string) => bed.api.http.post(`/v1/workspaces/${workspaceId}/api-keys`).set(owner.auth).send({ name, scopes: ['analytics:read'] });
    expect((await createKey('first')).status).toBe(201);
    const promote = await bed.api.http.patch(`/v1/workspaces/${workspaceId}/members/${viewer.userId}`).set(owner.auth).send({ role: 'admin' });
    expect(promote.status).toBe(200);
    expect((await createKey('second')).status).toBe(201);
    await eventually('the owner saw both keys', () => o.events().filter((e) => e.type === 'ApiKeyCreated').length === 2);
    await eventually('the promoted member saw the second key', () => v.events().some((e) => e.type === 'ApiKeyCreated'));
    // the first key was created while a viewer: never sent; the role change itself was
    expect(v.events().map((e) => e.type)).toEqual(['MemberRoleChanged', 'ApiKeyCreated']);
    expect(v.events()[1]!.data.name).toBe('second');
    o.close();
    v.close();
  });

  it('stops at once for a member who is removed: an error, then nothing more of the workspace', async () => {
    const owner = await bed.api.register();
    const workspaceId = await bed.api.createWorkspace(owner);
    const editor = await bed.api.member(workspaceId, owner, 'editor');
    const o = await TestClient.connect(bed.url, owner.accessToken);
    const e = await TestClient.connect(bed.url, editor.accessToken);
    await o.subscribe(workspaceId);
    await e.subscribe(workspaceId);
    await appendPostEvents(bed.api, workspaceId, 3);
    await eventually('the editor got the first events', () => e.events().length === 3);
    expect((await bed.api.http.delete(`/v1/workspaces/${workspaceId}/members/${editor.userId}`).set(owner.auth)).status).toBe(204);
    const revoked = await e.next((m) => m.type === 'error');
    expect(revoked).toMatchObject({ code: 'subscription-revoked', workspaceId });
    const later = await appendPostEvents(bed.api, workspaceId, 3);
    await eventually('the owner got the later events', () => o.positions().includes(later.at(-1)!.position));
    expect(e.events().map((ev) => ev.type)).toEqual(['PostDrafted', 'PostDrafted', 'PostDrafted']);
    // subscribing again is refused: membership is read from the workspace's stream, not a read model
    expect(await e.subscribe(workspaceId)).toMatchObject({ type: 'error', code: 'workspace-not-found' });
    o.close();
    e.close();
  });

  it('answers bad messages with an error and keeps serving the connection', async () => {
    const owner = await bed.api.register();
    const workspaceId = await bed.api.createWorkspace(owner);
    const client = await TestClient.connect(bed.url, owner.accessToken);
    const bad = ['not json', '[]', '{"type":"subscribe"}', '{"type":"subscribe","workspaceId":"nope"}', `{"type":"subscribe","workspaceId":"${workspaceId}","after":"-1"}`, '{"type":"publish"}', `{"type":"unsubscribe","workspaceId":"${workspaceId}","x":1}`];
    for (const message of bad) client.send(message);
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    const errors = await eventually('an error for each', () => {
      const found = client.messages.filter((m) => m.type === 'error');
      return found.length === bad.length + 1 ? found : undefined;
    });
    expect(errors.every((m) => m.code === 'invalid-message')).toBe(true);
    expect(errors[2]!.errors).toEqual([{ field: 'workspaceId', message: expect.any(String) }]);
    expect(errors[4]!.errors?.[0]?.field).toBe('after');
    expect(await client.subscribe(workspaceId)).toMatchObject({ type: 'caught-up' });
    client.send({ type: 'unsubscribe', workspaceId });
    await appendPostEvents(bed.api, workspaceId, 1);
    client.send({ type: 'subscribe', workspaceId: 'c0ffee00-0000-4000-8000-000000000000' });
    await client.next((m) => m.code === 'workspace-not-found');
    expect(client.events()).toEqual([]);
    client.close();
  });

  it('pushes engagement totals as metrics messages instead of snapshot events', async () => {
    const owner = await bed.api.register();
    const workspaceId = await bed.api.createWorkspace(owner);
    const account = await bed.api.http.post(`/v1/workspaces/${workspaceId}/accounts`).set(owner.auth).send({ platform: 'x', handle: 'acme', externalId: 'a1' });
    const post = await bed.api.http.post(`/v1/workspaces/${workspaceId}/posts`).set(owner.auth).send({ accountId: account.body.id, content: 'hello' });
    const client = await TestClient.connect(bed.url, owner.accessToken);
    await client.subscribe(workspaceId);
    const metrics = { impressions: 100, reach: 80, likes: 7, comments: 1, shares: 0, saves: 0, clicks: 3, views: 0 };
    const recorded = await bed.api.http
      .post(`/v1/workspaces/${workspaceId}/engagement`)
      .set(owner.auth)
      .send({ snapshots: [{ postId: post.body.id, capturedAt: new Date().toISOString(), metrics }] });
    expect(recorded.status).toBe(202);
    expect(await client.next((m) => m.type === 'metrics')).toEqual({ type: 'metrics', workspaceId, postId: post.body.id, totals: metrics });
    expect(client.events().some((e) => e.type === 'EngagementSnapshotRecorded')).toBe(false);
    client.close();
  });
});

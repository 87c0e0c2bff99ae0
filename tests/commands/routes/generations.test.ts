import { randomUUID } from 'node:crypto';
import { startTestApi, type TestApi } from '../../support/api';
import { callWebhook, completeGeneration, generationsWorkspace, type GenerationsWorkspace } from './generations-support';

let api: TestApi;
let ws: GenerationsWorkspace;

beforeAll(async () => {
  api = await startTestApi();
  ws = await generationsWorkspace(api);
});
afterAll(async () => {
  await api.close();
});

const eventCount = async () => (await api.events()).length;

describe('POST /v1/workspaces/{ws}/generations', () => {
  it('requests a generation: 202 with its id, Location, and GenerationRequested with the request metadata', async () => {
    const post = await ws.draft(ws.owner.auth);
    const res = await api.http
      .post(ws.path())
      .set(ws.owner.auth)
      .set('X-Correlation-Id', 'campaign-42')
      .send({ kind: 'caption', prompt: '  Announce the Q3 planner  ', postId: post.id, platform: 'linkedin' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'requested' });
    expect(res.headers.location).toBe(ws.path(res.body.id));
    expect(res.headers.etag).toBe('W/"0"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    const [event, ...more] = await api.store.readStream(`generation-${res.body.id}`);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: 'GenerationRequested',
      data: { generationId: res.body.id, workspaceId: ws.workspaceId, kind: 'caption', prompt: 'Announce the Q3 planner', postId: post.id, platform: 'linkedin', requestedBy: ws.owner.userId },
      metadata: { actor: { type: 'user', id: ws.owner.userId }, workspaceId: ws.workspaceId, correlationId: 'campaign-42' },
    });
  });

  it('forbids a viewer (403) and appends nothing', async () => {
    const viewer = await ws.member('viewer');
    const before = await eventCount();
    const res = await api.http.post(ws.path()).set(viewer.auth).send({ kind: 'caption', prompt: 'Hi' });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await eventCount()).toBe(before);
  });

  it('lets an API key with generations:write request, recorded as the key', async () => {
    const keyId = randomUUID();
    const { key } = await api.assembly.deps.apiKeys.create({ id: keyId, workspaceId: ws.workspaceId, name: 'ai', scopes: ['generations:write'], createdBy: ws.owner.userId });
    const id = await ws.request({ Authorization: `ApiKey ${key}` });
    const [event] = await api.store.readStream(`generation-${id}`);
    expect(event).toMatchObject({ data: { requestedBy: keyId }, metadata: { actor: { type: 'apiKey', id: keyId } } });
  });

  it('answers 404 for a postId of another workspace or of no post, 409 for a deleted post, and appends nothing', async () => {
    const other = await generationsWorkspace(api);
    const foreign = await other.draft(other.owner.auth);
    const deleted = await ws.draft(ws.owner.auth);
    expect((await api.http.delete(`/v1/workspaces/${ws.workspaceId}/posts/${deleted.id}`).set(ws.owner.auth)).status).toBe(204);
    const before = await eventCount();
    for (const postId of [foreign.id, randomUUID()]) {
      const res = await api.http.post(ws.path()).set(ws.owner.auth).send({ kind: 'caption', prompt: 'Hi', postId });
      expect(res.status).toBe(404);
    }
    const gone = await api.http.post(ws.path()).set(ws.owner.auth).send({ kind: 'caption', prompt: 'Hi', postId: deleted.id });
    expect(gone.status).toBe(409);
    expect(gone.body.code).toBe('PostIsDeleted');
    expect(await eventCount()).toBe(before);
  });

  it.each([
    ['an unknown kind', { kind: 'poem', prompt: 'Hi' }, 'kind'],
    ['no kind', { prompt: 'Hi' }, 'kind'],
    ['no prompt', { kind: 'caption' }, 'prompt'],
    ['a blank prompt', { kind: 'caption', prompt: '   ' }, 'prompt'],
    ['a prompt over 4000 characters', { kind: 'caption', prompt: 'x'.repeat(4001) }, 'prompt'],
    ['an unknown platform', { kind: 'caption', prompt: 'Hi', platform: 'myspace' }, 'platform'],
    ['a postId that is not a UUID', { kind: 'caption', prompt: 'Hi', postId: 'not-a-uuid' }, 'postId'],
    ['an unknown field', { kind: 'caption', prompt: 'Hi', model: 'gpt' }, 'model'],
  ])('refuses %s with 422 naming the field and appends nothing', async (_case, body, field) => {
    const before = await eventCount();
    const res = await api.http.post(ws.path()).set(ws.owner.auth).send(body);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
    expect(await eventCount()).toBe(before);
  });

  it('answers 404 for a non-UUID workspace and for a workspace the caller is not in', async () => {
    const stranger = await api.register();
    expect((await api.http.post('/v1/workspaces/nope/generations').set(ws.owner.auth).send({ kind: 'caption', prompt: 'Hi' })).status).toBe(404);
    expect((await api.http.post(ws.path()).set(stranger.auth).send({ kind: 'caption', prompt: 'Hi' })).status).toBe(404);
  });
});

describe('GET /v1/workspaces/{ws}/generations/{id}', () => {
  it('shows a requested generation, then its output once the AI service completed it', async () => {
    const post = await ws.draft(ws.owner.auth);
    const id = await ws.request(ws.owner.auth, { kind: 'hashtags', prompt: 'Tags for the launch', postId: post.id, platform: 'x' });
    const requested = await api.http.get(ws.path(id)).set(ws.owner.auth);
    expect(requested.status).toBe(200);
    expect(requested.headers.etag).toBe('W/"0"');
    expect(requested.body).toEqual({
      id,
      kind: 'hashtags',
      prompt: 'Tags for the launch',
      postId: post.id,
      platform: 'x',
      status: 'requested',
      output: null,
      error: null,
      requestedBy: ws.owner.userId,
      requestedAt: expect.any(String),
      completedAt: null,
      appliedTo: [],
    });
    await completeGeneration(api, id, { hashtags: ['#Launch', 'Planner'] });
    const completed = await api.http.get(ws.path(id)).set(ws.owner.auth);
    expect(completed.headers.etag).toBe('W/"1"');
    expect(completed.body).toMatchObject({ status: 'completed', output: { hashtags: ['Launch', 'Planner'] }, error: null });
    expect(Date.parse(completed.body.completedAt)).toBeGreaterThanOrEqual(Date.parse(completed.body.requestedAt));
  });

  it('lets a viewer read (post:read)', async () => {
    const viewer = await ws.member('viewer');
    const id = await ws.request(ws.owner.auth);
    const res = await api.http.get(ws.path(id)).set(viewer.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ postId: null, platform: null });
  });

  it("answers 404 for another workspace's generation, an unknown one and a non-UUID id", async () => {
    const other = await generationsWorkspace(api);
    const foreign = await other.request(other.owner.auth);
    for (const id of [foreign, randomUUID(), 'not-a-uuid']) {
      const res = await api.http.get(ws.path(id)).set(ws.owner.auth);
      expect(res.status).toBe(404);
    }
    // and the other workspace's owner does not see it through this workspace either
    expect((await api.http.get(ws.path(foreign)).set(other.owner.auth)).status).toBe(404);
  });
});

describe('POST /v1/workspaces/{ws}/generations/{id}/apply', () => {
  it.each([
    ['caption', { text: 'Big news: the planner is live.' }, { content: 'Big news: the planner is live.', media: [] }],
    ['hashtags', { hashtags: ['launch', '#q3'] }, { content: 'Launch day!\n\n#launch #q3', media: [] }],
    ['image', { imageUrl: 'https://cdn.example.com/hero.png' }, { content: 'Launch day!', media: ['https://cdn.example.com/hero.png'] }],
  ])("makes a completed %s generation's output the post's content", async (kind, output, expected) => {
    const post = await ws.draft(ws.owner.auth);
    const id = await ws.request(ws.owner.auth, { kind, postId: post.id });
    await completeGeneration(api, id, output);
    const res = await api.http.post(ws.path(id, 'apply')).set(ws.owner.auth).send({ postId: post.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: post.id, status: 'draft', ...expected });
    expect(res.headers.etag).toBe('W/"1"');
    const applied = (await api.store.readStream(`generation-${id}`)).at(-1)!;
    expect(applied).toMatchObject({ type: 'GenerationApplied', data: { postId: post.id }, metadata: { actor: { type: 'user', id: ws.owner.userId }, workspaceId: ws.workspaceId } });
    expect(res.headers['x-event-position']).toBe(applied.position.toString());
    const edited = (await api.store.readStream(`post-${post.id}`)).at(-1)!;
    expect(edited.type).toBe('PostEdited');
    expect(edited.metadata.correlationId).toBe(applied.metadata.correlationId);
    expect((await api.http.get(ws.path(id)).set(ws.owner.auth)).body.appliedTo).toEqual([post.id]);
  });

  it("sends a contributor's approved post back for approval when the policy requires it", async () => {
    const contributor = await ws.member('contributor');
    const post = await ws.draft(contributor.auth);
    const posts = `/v1/workspaces/${ws.workspaceId}/posts/${post.id}`;
    expect((await api.http.post(`${posts}/submit`).set(contributor.auth)).status).toBe(200);
    const approved = await api.http.post(`${posts}/approve`).set(ws.owner.auth);
    expect(approved.body.status).toBe('approved');
    const id = await ws.request(contributor.auth, { postId: post.id });
    await completeGeneration(api, id, { text: 'A better caption' });
    const res = await api.http.post(ws.path(id, 'apply')).set(contributor.auth).send({ postId: post.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ content: 'A better caption', status: 'pending_approval', approved: false, approvals: [] });
    const types = (await api.store.readStream(`post-${post.id}`)).map((e) => e.type).slice(-2);
    expect(types).toEqual(['PostEdited', 'PostReturnedForApproval']);
  });

  it("forbids a contributor to apply to someone else's post (403), appending nothing", async () => {
    const contributor = await ws.member('contributor');
    const post = await ws.draft(ws.owner.auth);
    const id = await ws.request(contributor.auth);
    await completeGeneration(api, id, { text: 'Mine now' });
    const before = await eventCount();
    const res = await api.http.post(ws.path(id, 'apply')).set(contributor.auth).send({ postId: post.id });
    expect(res.status).toBe(403);
    expect(await eventCount()).toBe(before);
  });

  it('refuses a generation that is not completed with 409 and appends nothing', async () => {
    const post = await ws.draft(ws.owner.auth);
    const requested = await ws.request(ws.owner.auth);
    const failed = await ws.request(ws.owner.auth);
    expect((await callWebhook(api, { generationId: failed, status: 'failed', error: 'model overloaded' })).status).toBe(204);
    const before = await eventCount();
    for (const [id, status] of [
      [requested, 'requested'],
      [failed, 'failed'],
    ]) {
      const res = await api.http.post(ws.path(id, 'apply')).set(ws.owner.auth).send({ postId: post.id });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'GenerationNotCompleted', detail: expect.stringContaining(status!) });
    }
    expect(await eventCount()).toBe(before);
  });

  it('refuses a post the edit cannot change (409) before recording the use', async () => {
    const post = await ws.draft(ws.owner.auth);
    const posts = `/v1/workspaces/${ws.workspaceId}/posts/${post.id}`;
    expect((await api.http.post(`${posts}/publish`).set(ws.owner.auth)).status).toBe(200);
    const id = await ws.request(ws.owner.auth);
    await completeGeneration(api, id, { text: 'Too late' });
    const before = await eventCount();
    const res = await api.http.post(ws.path(id, 'apply')).set(ws.owner.auth).send({ postId: post.id });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('PostNotEditable');
    expect(await eventCount()).toBe(before);
  });

  it("honours If-Match on the post's revision", async () => {
    const post = await ws.draft(ws.owner.auth);
    const id = await ws.request(ws.owner.auth);
    await completeGeneration(api, id, { text: 'Checked' });
    const stale = await api.http.post(ws.path(id, 'apply')).set(ws.owner.auth).set('If-Match', 'W/"5"').send({ postId: post.id });
    expect(stale.status).toBe(412);
    const fresh = await api.http.post(ws.path(id, 'apply')).set(ws.owner.auth).set('If-Match', 'W/"0"').send({ postId: post.id });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.etag).toBe('W/"1"');
  });

  it('answers 404 for a post or a generation of another workspace, unknown or non-UUID ones, appending nothing', async () => {
    const other = await generationsWorkspace(api);
    const foreignPost = await other.draft(other.owner.auth);
    const foreignGeneration = await other.request(other.owner.auth);
    await completeGeneration(api, foreignGeneration, { text: 'Theirs' });
    const post = await ws.draft(ws.owner.auth);
    const id = await ws.request(ws.owner.auth);
    await completeGeneration(api, id, { text: 'Ours' });
    const before = await eventCount();
    const attempts: [string, string][] = [
      [id, foreignPost.id],
      [id, randomUUID()],
      [foreignGeneration, post.id],
      [randomUUID(), post.id],
      ['not-a-uuid', post.id],
    ];
    for (const [generationId, postId] of attempts) {
      const res = await api.http.post(ws.path(generationId, 'apply')).set(ws.owner.auth).send({ postId });
      expect(res.status).toBe(404);
    }
    const invalid = await api.http.post(ws.path(id, 'apply')).set(ws.owner.auth).send({ postId: post.id, content: 'x' });
    expect(invalid.status).toBe(422);
    expect(await eventCount()).toBe(before);
  });

  it('forbids a viewer and an API key, whatever its scopes (no scope grants generation:apply): 403', async () => {
    const viewer = await ws.member('viewer');
    const { key } = await api.assembly.deps.apiKeys.create({
      id: randomUUID(),
      workspaceId: ws.workspaceId,
      name: 'everything',
      scopes: ['posts:write', 'posts:publish', 'generations:write', 'analytics:read'],
      createdBy: ws.owner.userId,
    });
    const post = await ws.draft(ws.owner.auth);
    const id = await ws.request(ws.owner.auth);
    await completeGeneration(api, id, { text: 'Nope' });
    for (const auth of [viewer.auth, { Authorization: `ApiKey ${key}` }]) {
      const res = await api.http.post(ws.path(id, 'apply')).set(auth).send({ postId: post.id });
      expect(res.status).toBe(403);
    }
  });
});

import { randomUUID } from 'node:crypto';
import { can } from '../../../src/domain/permissions';
import { userDecider } from '../../../src/domain/user/decider';
import { workspaceRoles } from '../../../src/domain/workspace/roles';
import { startTestApi, type TestApi, type TestUser } from '../../support/api';
import { connectAccount, draftPost, issueApiKey, withoutAppending, workspaceWithMembers, type Auth, type Workspace } from './workspace-fixtures';

let api: TestApi;
let ws: Workspace;
let other: Workspace;

beforeAll(async () => {
  api = await startTestApi();
  [ws, other] = await Promise.all([workspaceWithMembers(api), workspaceWithMembers(api)]);
});
afterAll(async () => {
  await api.close();
});

const keys = (workspaceId: string) => `/v1/workspaces/${workspaceId}/api-keys`;
const key = (workspaceId: string, apiKeyId: string) => `/v1/workspaces/${workspaceId}/api-keys/${apiKeyId}`;

/** A request only a working key with `engagement:write` gets through: one snapshot of a post of `ws`. */
async function recordEngagement(auth: Auth, postId: string) {
  return api.http
    .post(`/v1/workspaces/${ws.id}/engagement`)
    .set(auth)
    .send({ snapshots: [{ postId, capturedAt: new Date().toISOString(), metrics: { impressions: 1, reach: 1, likes: 0, comments: 0, shares: 0, saves: 0, clicks: 0, views: 0 } }] });
}

async function setPlatformRoles(user: TestUser, roles: ('admin' | 'auditor' | 'analyst')[]): Promise<void> {
  await api.assembly.deps.commands.handle({ streamId: `user-${user.userId}`, decider: userDecider, command: { type: 'SetPlatformRoles', roles }, metadata: {} });
}

describe('POST /v1/workspaces/{ws}/api-keys', () => {
  it('answers the key once, records the key without its secret, and stores only a hash', async () => {
    const res = await api.http.post(keys(ws.id)).set(ws.owner.auth).send({ name: ' publisher ', scopes: ['posts:publish', 'posts:write', 'posts:write'] });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), name: 'publisher', scopes: ['posts:write', 'posts:publish'], prefix: expect.stringMatching(/^[a-z2-7]{8}$/), key: expect.any(String) });
    expect(res.body.key.startsWith(`plk_${res.body.prefix}_`)).toBe(true);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.etag).toBe('W/"0"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect(res.headers.location).toBe(key(ws.id, res.body.id));

    const [created] = await api.store.readStream(`apikey-${res.body.id}`);
    expect(created).toMatchObject({ type: 'ApiKeyCreated', data: { apiKeyId: res.body.id, workspaceId: ws.id, name: 'publisher', prefix: res.body.prefix, createdBy: ws.owner.userId } });
    // the secret is everything after `plk_<prefix>_` (it may itself contain underscores)
    const secret = (res.body.key as string).slice(`plk_${res.body.prefix}_`.length);
    expect(secret).toHaveLength(43);
    const log = JSON.stringify(await api.events(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(log).not.toContain(secret);
    const stored = await api.pool.query<{ row: string }>('select t::text as row from pl_api_keys t where id = $1', [res.body.id]);
    expect(stored.rows[0]!.row).not.toContain(secret);
  });

  it('refuses an anonymous caller (401) and an API key (401: keys are managed by users)', async () => {
    const apiKey = await issueApiKey(api, ws.id, ws.owner, ['analytics:read']);
    for (const auth of [{}, apiKey.auth]) {
      const res = await withoutAppending(api, () => api.http.post(keys(ws.id)).set(auth).send({ name: 'k', scopes: ['analytics:read'] }));
      expect(res.status).toBe(401);
    }
  });

  it.each([
    ['no fields', {}, 'name'],
    ['a blank name', { name: ' ', scopes: ['analytics:read'] }, 'name'],
    ['a name of 101 characters', { name: 'n'.repeat(101), scopes: ['analytics:read'] }, 'name'],
    ['no scopes', { name: 'k', scopes: [] }, 'scopes'],
    ['an unknown scope', { name: 'k', scopes: ['root'] }, 'scopes.0'],
    ['an unknown field', { name: 'k', scopes: ['analytics:read'], expiresAt: '2030-01-01T00:00:00Z' }, 'expiresAt'],
  ])('answers %s with 422, creating no key', async (_case, body, field) => {
    const before = (await api.assembly.deps.apiKeys.list(ws.id)).length;
    const res = await withoutAppending(api, () => api.http.post(keys(ws.id)).set(ws.owner.auth).send(body));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
    expect(await api.assembly.deps.apiKeys.list(ws.id)).toHaveLength(before);
  });

  it('refuses an Idempotency-Key with 422: a replay would have to store the secret', async () => {
    const before = (await api.assembly.deps.apiKeys.list(ws.id)).length;
    const res = await withoutAppending(api, () => api.http.post(keys(ws.id)).set(ws.owner.auth).set('Idempotency-Key', 'key-1').send({ name: 'k', scopes: ['analytics:read'] }));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'headers', field: 'Idempotency-Key' })]);
    expect(await api.assembly.deps.apiKeys.list(ws.id)).toHaveLength(before);
  });

  it('lets only a platform auditor grant audit:read, and only an analyst events:read', async () => {
    const admin = ws.members.admin;
    for (const scope of ['audit:read', 'events:read']) {
      const res = await withoutAppending(api, () => api.http.post(keys(ws.id)).set(admin.auth).send({ name: 'k', scopes: ['analytics:read', scope] }));
      expect(res.status).toBe(403);
    }
    await setPlatformRoles(admin, ['auditor']);
    expect((await api.http.post(keys(ws.id)).set(admin.auth).send({ name: 'audit', scopes: ['audit:read'] })).status).toBe(201);
    expect((await api.http.post(keys(ws.id)).set(admin.auth).send({ name: 'replay', scopes: ['events:read'] })).status).toBe(403);
    await setPlatformRoles(admin, []);
  });

  it('revokes the key when its creation cannot be recorded', async () => {
    const handle = jest.spyOn(api.assembly.deps.commands, 'handle').mockRejectedValueOnce(new Error('the log is down'));
    try {
      const res = await api.http.post(keys(ws.id)).set(ws.owner.auth).send({ name: 'unrecorded', scopes: ['analytics:read'] });
      expect(res.status).toBe(500);
    } finally {
      handle.mockRestore();
    }
    const unrecorded = (await api.assembly.deps.apiKeys.list(ws.id)).filter((k) => k.name === 'unrecorded');
    expect(unrecorded).toEqual([expect.objectContaining({ revokedAt: expect.any(Date) })]);
  });

  it('answers 404 for another workspace, an unknown one and a non-UUID id', async () => {
    for (const path of [keys(other.id), keys(randomUUID()), keys('nope')]) {
      const res = await withoutAppending(api, () => api.http.post(path).set(ws.owner.auth).send({ name: 'k', scopes: ['analytics:read'] }));
      expect(res.status).toBe(404);
    }
  });
});

describe('GET /v1/workspaces/{ws}/api-keys', () => {
  it("lists the workspace's keys, revoked ones too, without secrets", async () => {
    const created = await issueApiKey(api, ws.id, ws.owner, ['analytics:read']);
    await api.http.delete(key(ws.id, created.id)).set(ws.owner.auth).expect(204);
    const res = await api.http.get(keys(ws.id)).set(ws.owner.auth);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    const listed = (res.body.items as { id: string }[]).find((item) => item.id === created.id);
    expect(listed).toEqual({
      id: created.id,
      name: 'key analytics:read',
      prefix: created.key.split('_')[1],
      scopes: ['analytics:read'],
      createdBy: ws.owner.userId,
      createdAt: expect.any(String),
      revokedAt: expect.any(String),
    });
    // prefix: 8 characters of [a-z2-7] after `plk_`; the secret follows the next underscore
    expect(JSON.stringify(res.body)).not.toContain(created.key.slice('plk_'.length + 8 + 1));
    const foreign = await api.http.get(keys(other.id)).set(other.owner.auth);
    expect((foreign.body.items as { id: string }[]).map((item) => item.id)).not.toContain(created.id);
  });

  it('answers 404 for another workspace and 401 without credentials', async () => {
    expect((await api.http.get(keys(other.id)).set(ws.owner.auth)).status).toBe(404);
    expect((await api.http.get(keys(ws.id))).status).toBe(401);
  });
});

describe('DELETE /v1/workspaces/{ws}/api-keys/{apiKeyId}', () => {
  it('revokes the key: it works before and is 401 at once after', async () => {
    const accountId = await connectAccount(api, ws.id, ws.owner);
    const postId = await draftPost(api, ws.id, accountId, ws.owner);
    const collector = await issueApiKey(api, ws.id, ws.owner, ['engagement:write']);
    expect((await recordEngagement(collector.auth, postId)).status).toBe(202);
    const res = await api.http.delete(key(ws.id, collector.id)).set(ws.owner.auth);
    expect(res.status).toBe(204);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect((await recordEngagement(collector.auth, postId)).status).toBe(401);
    expect((await api.store.readStream(`apikey-${collector.id}`)).map((e) => e.type)).toEqual(['ApiKeyCreated', 'ApiKeyRevoked']);
  });

  it('answers 409 for a key already revoked', async () => {
    const created = await issueApiKey(api, ws.id, ws.owner, ['analytics:read']);
    await api.http.delete(key(ws.id, created.id)).set(ws.owner.auth).expect(204);
    const res = await withoutAppending(api, () => api.http.delete(key(ws.id, created.id)).set(ws.owner.auth));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ApiKeyAlreadyRevoked');
  });

  it('honours If-Match: a stale revision is 412 and leaves the key working', async () => {
    const created = await issueApiKey(api, ws.id, ws.owner, ['analytics:read']);
    const stale = await withoutAppending(api, () => api.http.delete(key(ws.id, created.id)).set(ws.owner.auth).set('If-Match', 'W/"1"'));
    expect(stale.status).toBe(412);
    expect((await api.assembly.deps.apiKeys.verify(created.key)).apiKeyId).toBe(created.id);
    expect((await api.http.delete(key(ws.id, created.id)).set(ws.owner.auth).set('If-Match', 'W/"0"')).status).toBe(204);
  });

  it("answers 404 for an unknown key, a non-UUID id and another workspace's key, which keeps working", async () => {
    const foreign = await issueApiKey(api, other.id, other.owner, ['analytics:read']);
    for (const path of [key(ws.id, randomUUID()), key(ws.id, 'nope'), key(ws.id, foreign.id), key(other.id, foreign.id)]) {
      const res = await withoutAppending(api, () => api.http.delete(path).set(ws.owner.auth));
      expect(res.status).toBe(404);
    }
    expect((await api.assembly.deps.apiKeys.verify(foreign.key)).apiKeyId).toBe(foreign.id);
  });
});

describe('permissions', () => {
  it.each(workspaceRoles)('lets the role %s create, list and revoke keys exactly when it may apikey:manage, else 403', async (role) => {
    const as = ws.members[role].auth;
    const allowed = can(role, 'apikey:manage');
    const target = await issueApiKey(api, ws.id, ws.owner, ['analytics:read']);
    const requests = [
      { send: () => api.http.post(keys(ws.id)).set(as).send({ name: role, scopes: ['analytics:read'] }), status: 201 },
      { send: () => api.http.get(keys(ws.id)).set(as), status: 200 },
      { send: () => api.http.delete(key(ws.id, target.id)).set(as), status: 204 },
    ];
    for (const { send, status } of requests) {
      const res = allowed ? await send() : await withoutAppending(api, send);
      expect(res.status).toBe(allowed ? status : 403);
    }
    if (!allowed) expect((await api.assembly.deps.apiKeys.verify(target.key)).apiKeyId).toBe(target.id);
  });
});

import { randomUUID } from 'node:crypto';
import { can } from '../../../src/domain/permissions';
import { workspaceRoles } from '../../../src/domain/workspace/roles';
import { startTestApi, type TestApi } from '../../support/api';
import { connectAccount, issueApiKey, withoutAppending, workspaceWithMembers, type Workspace } from './workspace-fixtures';

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

const accounts = (workspaceId: string) => `/v1/workspaces/${workspaceId}/accounts`;
const account = (workspaceId: string, accountId: string) => `/v1/workspaces/${workspaceId}/accounts/${accountId}`;
const reconnect = (workspaceId: string, accountId: string) => `${account(workspaceId, accountId)}/needs-reconnect`;
const connection = () => ({ platform: 'linkedin', handle: '  @acme ', externalId: randomUUID() });

describe('POST /v1/workspaces/{ws}/accounts', () => {
  it('connects an account, with ETag, position and Location', async () => {
    const body = connection();
    const res = await api.http.post(accounts(ws.id)).set(ws.owner.auth).send(body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), workspaceId: ws.id, platform: 'linkedin', handle: '@acme', externalId: body.externalId, status: 'connected', reconnectReason: null });
    expect(res.headers.etag).toBe('W/"0"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect(res.headers.location).toBe(account(ws.id, res.body.id));
    const [event] = await api.store.readStream(`account-${res.body.id}`);
    expect(event).toMatchObject({ type: 'AccountConnected', data: { connectedBy: ws.owner.userId }, metadata: { actor: { type: 'user', id: ws.owner.userId }, workspaceId: ws.id } });
  });

  it('refuses an anonymous caller with 401', async () => {
    const res = await withoutAppending(api, () => api.http.post(accounts(ws.id)).send(connection()));
    expect(res.status).toBe(401);
  });

  it.each([
    ['no fields', {}, 'platform'],
    ['an unknown platform', { ...connection(), platform: 'myspace' }, 'platform'],
    ['a blank handle', { ...connection(), handle: '  ' }, 'handle'],
    ['a handle of 101 characters', { ...connection(), handle: 'h'.repeat(101) }, 'handle'],
    ['a number as handle', { ...connection(), handle: 42 }, 'handle'],
    ['an external id of 201 characters', { ...connection(), externalId: 'e'.repeat(201) }, 'externalId'],
    ['an unknown field', { ...connection(), token: 'secret' }, 'token'],
  ])('answers %s with 422 naming the field and appends nothing', async (_case, body, field) => {
    const res = await withoutAppending(api, () => api.http.post(accounts(ws.id)).set(ws.owner.auth).send(body));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
  });

  it('answers 404 for another workspace, an unknown one and a non-UUID id', async () => {
    for (const path of [accounts(other.id), accounts(randomUUID()), accounts('not-a-uuid')]) {
      const res = await withoutAppending(api, () => api.http.post(path).set(ws.owner.auth).send(connection()));
      expect(res.status).toBe(404);
    }
  });

  it('refuses API keys: none has a scope for account:manage (403), and another workspace is 404', async () => {
    const key = await issueApiKey(api, ws.id, ws.owner, ['posts:write', 'posts:publish', 'engagement:write', 'generations:write', 'analytics:read']);
    const own = await withoutAppending(api, () => api.http.post(accounts(ws.id)).set(key.auth).send(connection()));
    expect(own.status).toBe(403);
    const foreign = await withoutAppending(api, () => api.http.post(accounts(other.id)).set(key.auth).send(connection()));
    expect(foreign.status).toBe(404);
  });

  it('replays an Idempotency-Key and refuses it with another body', async () => {
    const body = connection();
    const first = await api.http.post(accounts(ws.id)).set(ws.owner.auth).set('Idempotency-Key', 'connect-1').send(body);
    const again = await withoutAppending(api, () => api.http.post(accounts(ws.id)).set(ws.owner.auth).set('Idempotency-Key', 'connect-1').send(body));
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    const changed = await withoutAppending(api, () => api.http.post(accounts(ws.id)).set(ws.owner.auth).set('Idempotency-Key', 'connect-1').send(connection()));
    expect(changed.status).toBe(422);
  });
});

describe('DELETE /v1/workspaces/{ws}/accounts/{accountId}', () => {
  it('disconnects an account; disconnecting again changes nothing', async () => {
    const accountId = await connectAccount(api, ws.id, ws.owner);
    const res = await api.http.delete(account(ws.id, accountId)).set(ws.owner.auth);
    expect(res.status).toBe(204);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    const again = await withoutAppending(api, () => api.http.delete(account(ws.id, accountId)).set(ws.owner.auth));
    expect(again.status).toBe(204);
    expect(again.headers.etag).toBe('W/"1"');
    expect((await api.store.readStream(`account-${accountId}`)).map((e) => e.type)).toEqual(['AccountConnected', 'AccountDisconnected']);
  });

  it("answers 404 for an unknown account, a non-UUID id, and another workspace's account", async () => {
    const foreign = await connectAccount(api, other.id, other.owner);
    for (const path of [account(ws.id, randomUUID()), account(ws.id, 'nope'), account(ws.id, foreign), account(other.id, foreign)]) {
      const res = await withoutAppending(api, () => api.http.delete(path).set(ws.owner.auth));
      expect(res.status).toBe(404);
    }
  });

  it('honours If-Match: a stale revision is 412, the current one succeeds', async () => {
    const accountId = await connectAccount(api, ws.id, ws.owner);
    const stale = await withoutAppending(api, () => api.http.delete(account(ws.id, accountId)).set(ws.owner.auth).set('If-Match', 'W/"3"'));
    expect(stale.status).toBe(412);
    expect(stale.body.currentRevision).toBe('0');
    const fresh = await api.http.delete(account(ws.id, accountId)).set(ws.owner.auth).set('If-Match', 'W/"0"');
    expect(fresh.status).toBe(204);
  });
});

describe('POST /v1/workspaces/{ws}/accounts/{accountId}/needs-reconnect', () => {
  it('marks the account with the reason; marking again changes nothing', async () => {
    const accountId = await connectAccount(api, ws.id, ws.owner);
    const res = await api.http.post(reconnect(ws.id, accountId)).set(ws.owner.auth).send({ reason: ' token expired ' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: accountId, status: 'needs_reconnect', reconnectReason: 'token expired' });
    expect(res.headers.etag).toBe('W/"1"');
    const again = await withoutAppending(api, () => api.http.post(reconnect(ws.id, accountId)).set(ws.owner.auth).send({ reason: 'still expired' }));
    expect(again.status).toBe(200);
    expect(again.body.reconnectReason).toBe('token expired');
  });

  it('answers 409 for a disconnected account', async () => {
    const accountId = await connectAccount(api, ws.id, ws.owner);
    await api.http.delete(account(ws.id, accountId)).set(ws.owner.auth).expect(204);
    const res = await withoutAppending(api, () => api.http.post(reconnect(ws.id, accountId)).set(ws.owner.auth).send({ reason: 'token expired' }));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('AccountIsDisconnected');
  });

  it.each([
    ['no reason', {}],
    ['an empty reason', { reason: '' }],
    ['a reason of 1001 characters', { reason: 'r'.repeat(1001) }],
    ['an unknown field', { reason: 'ok', extra: 1 }],
  ])('answers %s with 422', async (_case, body) => {
    const accountId = await connectAccount(api, ws.id, ws.owner);
    const res = await withoutAppending(api, () => api.http.post(reconnect(ws.id, accountId)).set(ws.owner.auth).send(body));
    expect(res.status).toBe(422);
  });

  it("answers 404 for another workspace's account", async () => {
    const foreign = await connectAccount(api, other.id, other.owner);
    const res = await withoutAppending(api, () => api.http.post(reconnect(ws.id, foreign)).set(ws.owner.auth).send({ reason: 'token expired' }));
    expect(res.status).toBe(404);
  });
});

describe('permissions', () => {
  it.each(workspaceRoles)('lets the role %s connect, mark and disconnect exactly when it may account:manage, else 403', async (role) => {
    const as = ws.members[role].auth;
    const allowed = can(role, 'account:manage');
    const target = await connectAccount(api, ws.id, ws.owner);
    const requests = [
      { send: () => api.http.post(accounts(ws.id)).set(as).send(connection()), status: 201 },
      { send: () => api.http.post(reconnect(ws.id, target)).set(as).send({ reason: 'token expired' }), status: 200 },
      { send: () => api.http.delete(account(ws.id, target)).set(as), status: 204 },
    ];
    for (const { send, status } of requests) {
      const res = allowed ? await send() : await withoutAppending(api, send);
      expect(res.status).toBe(allowed ? status : 403);
    }
  });
});

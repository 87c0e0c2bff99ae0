import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { changePlatformRole } from '../../../src/cli/users';
import { startTestApi, type TestApi, type TestUser } from '../../support/api';

let api: TestApi;
let admin: TestUser;

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.register({ displayName: 'Root' });
  // the first admin is made from the command line
  await changePlatformRole(api.store, api.pool, { action: 'grant-role', email: admin.email, role: 'admin' });
});
afterAll(async () => {
  await api.close();
});

const refused = (send: () => PromiseLike<Response>, status: number) => api.refused(send, status);

const setRoles = (by: TestUser, userId: string, roles: unknown) => api.http.put(`/v1/admin/users/${userId}/roles`).set(by.auth).send({ roles });
const deactivate = (by: TestUser, userId: string, body: object = {}) => api.http.post(`/v1/admin/users/${userId}/deactivate`).set(by.auth).send(body);
const reactivate = (by: TestUser, userId: string) => api.http.post(`/v1/admin/users/${userId}/reactivate`).set(by.auth);
const login = (user: TestUser) => api.http.post('/v1/auth/login').send({ email: user.email, password: user.password });

describe('who may administer', () => {
  it('forbids a user without the admin platform role (403), an auditor included', async () => {
    const user = await api.register();
    const auditor = await api.register();
    await changePlatformRole(api.store, api.pool, { action: 'grant-role', email: auditor.email, role: 'auditor' });
    for (const caller of [user, auditor]) {
      const res = await refused(() => setRoles(caller, caller.userId, ['admin']), 403);
      expect(res.body.code).toBe('Forbidden');
      await refused(() => deactivate(caller, admin.userId), 403);
      await refused(() => reactivate(caller, admin.userId), 403);
    }
  });

  it('refuses an anonymous caller and an API key with 401', async () => {
    await refused(() => api.http.put(`/v1/admin/users/${admin.userId}/roles`).send({ roles: [] }), 401);
    const { key } = await api.assembly.deps.apiKeys.create({ id: randomUUID(), workspaceId: randomUUID(), name: 'bot', scopes: [], createdBy: admin.userId });
    await refused(() => api.http.post(`/v1/admin/users/${admin.userId}/reactivate`).set('Authorization', `ApiKey ${key}`), 401);
  });

  it('applies a role change at once: a demoted admin is refused on the next request', async () => {
    const deputy = await api.register();
    expect((await setRoles(admin, deputy.userId, ['admin'])).status).toBe(200);
    const target = await api.register();
    expect((await setRoles(deputy, target.userId, ['analyst'])).status).toBe(200);
    expect((await setRoles(admin, deputy.userId, [])).status).toBe(200);
    await refused(() => setRoles(deputy, target.userId, []), 403);
  });
});

describe('PUT /v1/admin/users/{userId}/roles', () => {
  it("sets the user's roles in canonical order, recorded with the admin as actor; the same set again appends nothing", async () => {
    const user = await api.register();
    const res = await setRoles(admin, user.userId, ['analyst', 'auditor', 'analyst']);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: user.userId, platformRoles: ['auditor', 'analyst'] });
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect((await api.store.readStream(`user-${user.userId}`)).at(-1)).toMatchObject({
      type: 'UserPlatformRolesSet',
      data: { roles: ['auditor', 'analyst'] },
      metadata: { actor: { type: 'user', id: admin.userId } },
    });
    expect((await api.http.get('/v1/me').set(user.auth)).body.platformRoles).toEqual(['auditor', 'analyst']);

    const before = (await api.events()).length;
    const again = await setRoles(admin, user.userId, ['auditor', 'analyst']);
    expect(again.status).toBe(200);
    expect(again.headers.etag).toBe('W/"1"');
    expect((await api.events()).length).toBe(before);
    expect((await setRoles(admin, user.userId, [])).body.platformRoles).toEqual([]);
  });

  it.each([
    ['an unknown role', { roles: ['root'] }, 'roles.0'],
    ['roles that are not a list', { roles: 'admin' }, 'roles'],
    ['no roles', {}, 'roles'],
    ['an unknown field', { roles: [], scope: 'all' }, 'scope'],
  ])('refuses %s with 422 naming the field', async (_case, body, field) => {
    const user = await api.register();
    const res = await refused(() => api.http.put(`/v1/admin/users/${user.userId}/roles`).set(admin.auth).send(body), 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
  });

  it('answers 404 for an unknown user and for an id that is not a UUID', async () => {
    await refused(() => setRoles(admin, randomUUID(), ['analyst']), 404);
    await refused(() => setRoles(admin, 'not-a-uuid', ['analyst']), 404);
  });

  it('keeps an admin from dropping their own admin role (409) but lets them add others', async () => {
    const res = await refused(() => setRoles(admin, admin.userId, ['auditor']), 409);
    expect(res.body.code).toBe('CannotRemoveOwnAdminRole');
    expect((await setRoles(admin, admin.userId, ['admin', 'auditor'])).body.platformRoles).toEqual(['admin', 'auditor']);
    expect((await setRoles(admin, admin.userId, ['admin'])).body.platformRoles).toEqual(['admin']);
  });

  it('honours If-Match', async () => {
    const user = await api.register();
    await refused(() => api.http.put(`/v1/admin/users/${user.userId}/roles`).set(admin.auth).set('If-Match', 'W/"7"').send({ roles: ['analyst'] }), 412);
    const ok = await api.http.put(`/v1/admin/users/${user.userId}/roles`).set(admin.auth).set('If-Match', 'W/"0"').send({ roles: ['analyst'] });
    expect(ok.status).toBe(200);
  });
});

describe('POST /v1/admin/users/{userId}/deactivate and /reactivate', () => {
  it("deactivates a user: their access token is refused at once, their sessions end and they cannot sign in; reactivation lets them sign in again", async () => {
    const user = await api.register();
    expect((await api.http.get('/v1/me').set(user.auth)).status).toBe(200);

    const res = await deactivate(admin, user.userId, { reason: '  Spam  ' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: user.userId, status: 'deactivated' });
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect((await api.store.readStream(`user-${user.userId}`)).at(-1)).toMatchObject({
      type: 'UserDeactivated',
      data: { reason: 'Spam' },
      metadata: { actor: { type: 'user', id: admin.userId } },
    });

    await refused(() => api.http.get('/v1/me').set(user.auth), 401);
    await refused(() => api.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken }), 401);
    await refused(() => login(user), 401);
    const deactivatedSessions = await api.pool.query('select 1 from pl_refresh_tokens where user_id = $1 and revoked_at is null', [user.userId]);
    expect(deactivatedSessions.rowCount).toBe(0);

    const back = await reactivate(admin, user.userId);
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ id: user.userId, status: 'active' });
    expect((await api.store.readStream(`user-${user.userId}`)).at(-1)!.type).toBe('UserReactivated');
    const session = await login(user);
    expect(session.status).toBe(200);
    expect((await api.http.get('/v1/me').set('Authorization', `Bearer ${session.body.accessToken}`)).status).toBe(200);
    // sessions ended by the deactivation stay ended
    await refused(() => api.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken }), 401);
  });

  it("stops the API keys a deactivated user created at once, and lets them work again after reactivation", async () => {
    const owner = await api.register();
    const workspaceId = await api.createWorkspace(owner);
    const created = await api.http.post(`/v1/workspaces/${workspaceId}/api-keys`).set(owner.auth).send({ name: 'publisher', scopes: ['posts:publish'] });
    expect(created.status).toBe(201);
    const keyAuth = { Authorization: `ApiKey ${created.body.key}` };
    const engagement = () => api.http.post(`/v1/workspaces/${workspaceId}/engagement`).set(keyAuth).send({ snapshots: [] });
    // a valid key reaches validation (422 for the empty batch) rather than 401
    expect((await engagement()).status).not.toBe(401);
    expect((await deactivate(admin, owner.userId)).status).toBe(200);
    await refused(engagement, 401);
    expect((await reactivate(admin, owner.userId)).status).toBe(200);
    expect((await engagement()).status).not.toBe(401);
  });

  it('treats a repeated deactivation or reactivation as done, appending nothing', async () => {
    const user = await api.register();
    expect((await deactivate(admin, user.userId)).status).toBe(200);
    const before = (await api.events()).length;
    expect((await deactivate(admin, user.userId)).body.status).toBe('deactivated');
    expect((await api.events()).length).toBe(before);
    expect((await reactivate(admin, user.userId)).status).toBe(200);
    const after = (await api.events()).length;
    expect((await reactivate(admin, user.userId)).body.status).toBe('active');
    expect((await api.events()).length).toBe(after);
  });

  it('keeps an admin from deactivating themselves (409)', async () => {
    const res = await refused(() => deactivate(admin, admin.userId), 409);
    expect(res.body.code).toBe('CannotDeactivateSelf');
    expect((await api.http.get('/v1/me').set(admin.auth)).status).toBe(200);
  });

  it('answers 404 for an unknown user and a non-UUID id, and 422 for a bad reason', async () => {
    await refused(() => deactivate(admin, randomUUID()), 404);
    await refused(() => deactivate(admin, 'nope'), 404);
    await refused(() => reactivate(admin, randomUUID()), 404);
    await refused(() => reactivate(admin, '12345'), 404);
    const user = await api.register();
    const res = await refused(() => deactivate(admin, user.userId, { reason: 'x'.repeat(1001) }), 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    await refused(() => deactivate(admin, user.userId, { reason: '   ' }), 422);
    await refused(() => deactivate(admin, user.userId, { because: 'x' }), 422);
  });

  it('honours If-Match', async () => {
    const user = await api.register();
    await refused(() => api.http.post(`/v1/admin/users/${user.userId}/deactivate`).set(admin.auth).set('If-Match', 'W/"3"').send({}), 412);
    await refused(() => api.http.post(`/v1/admin/users/${user.userId}/reactivate`).set(admin.auth).set('If-Match', 'W/"3"'), 412);
  });
});

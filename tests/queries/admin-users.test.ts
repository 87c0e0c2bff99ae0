import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { changePlatformRole } from '../../src/cli/users';
import type { AdminUser } from '../../src/queries/users';
import { startTestApi, type TestApi, type TestUser } from '../support/api';

let api: TestApi;
let admin: TestUser;
let ada: TestUser;
let bob: TestUser;
let carol: TestUser;
let lastPosition: string;

beforeAll(async () => {
  api = await startTestApi();
  api.startProjectors();
  admin = await api.register({ displayName: 'Root', email: `root-${randomUUID()}@example.com` });
  await changePlatformRole(api.store, api.pool, { action: 'grant-role', email: admin.email, role: 'admin' });
  ada = await api.register({ displayName: 'Ada Lovelace', email: `ada-${randomUUID()}@analytical.example` });
  bob = await api.register({ displayName: 'Bob 100%_sure', email: `bob-${randomUUID()}@example.com` });
  carol = await api.register({ displayName: 'Carol', email: `carol-${randomUUID()}@example.com` });
  expect((await api.http.put(`/v1/admin/users/${ada.userId}/roles`).set(admin.auth).send({ roles: ['analyst', 'auditor'] })).status).toBe(200);
  const deactivated = await api.http.post(`/v1/admin/users/${carol.userId}/deactivate`).set(admin.auth).send({});
  expect(deactivated.status).toBe(200);
  lastPosition = deactivated.headers['x-event-position'] as string;
});
afterAll(async () => {
  await api.close();
});

const list = (query: Record<string, string | number> = {}, as: TestUser = admin) =>
  api.http.get('/v1/admin/users').query(query).set(as.auth).set('X-Min-Position', lastPosition);
const ids = (res: Response) => (res.body.items as AdminUser[]).map((u) => u.id);

describe('GET /v1/admin/users', () => {
  it('lists every user, newest first, with roles and status', async () => {
    const res = await list();
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([carol.userId, bob.userId, ada.userId, admin.userId]);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items[2]).toEqual({
      id: ada.userId,
      email: ada.email,
      displayName: 'Ada Lovelace',
      platformRoles: ['auditor', 'analyst'],
      status: 'active',
      erased: false,
      registeredAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it.each([
    ['q in the email, any case', { q: 'ANALYTICAL' }, () => [ada.userId]],
    ['q in the display name', { q: 'lovelace' }, () => [ada.userId]],
    ['q with LIKE wildcards taken literally', { q: '100%_' }, () => [bob.userId]],
    ['role', { role: 'auditor' }, () => [ada.userId]],
    ['role admin', { role: 'admin' }, () => [admin.userId]],
    ['status', { status: 'deactivated' }, () => [carol.userId]],
    ['status and q', { status: 'active', q: 'example.com' }, () => [bob.userId, admin.userId]],
  ])('filters by %s', async (_name, query, expected) => {
    const res = await list(query);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(expected());
  });

  it('pages with a cursor, each user once', async () => {
    const first = await list({ limit: 3 });
    expect(first.body.items).toHaveLength(3);
    const second = await list({ limit: 3, cursor: first.body.nextCursor as string });
    expect([...ids(first), ...ids(second)]).toEqual([carol.userId, bob.userId, ada.userId, admin.userId]);
    expect(second.body.nextCursor).toBeNull();
  });

  it.each([
    ['role', { role: 'owner' }],
    ['status', { status: 'gone' }],
    ['limit', { limit: 0 }],
    ['cursor', { cursor: 'not-a-cursor' }],
    ['q', { q: 'x'.repeat(201) }],
  ])('refuses a bad %s with 422 naming it', async (field, query) => {
    const res = await list(query);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', field })]));
  });

  it('is for platform admins only: 403 for others (an auditor too), 401 without a user', async () => {
    for (const caller of [bob, ada]) {
      const res = await list({}, caller);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await api.http.get(`/v1/admin/users/${ada.userId}`).set(caller.auth)).status).toBe(403);
    }
    expect((await api.http.get('/v1/admin/users')).status).toBe(401);
    const { key } = await api.assembly.deps.apiKeys.create({ id: randomUUID(), workspaceId: randomUUID(), name: 'bot', scopes: ['analytics:read'], createdBy: admin.userId });
    expect((await api.http.get('/v1/admin/users').set('Authorization', `ApiKey ${key}`)).status).toBe(401);
  });
});

describe('GET /v1/admin/users/{userId}', () => {
  it('shows one user, a deactivated one included', async () => {
    const res = await api.http.get(`/v1/admin/users/${carol.userId}`).set(admin.auth).set('X-Min-Position', lastPosition);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: carol.userId, email: carol.email, displayName: 'Carol', status: 'deactivated', platformRoles: [] });
  });

  it('shows a profile change once asked for its position', async () => {
    const patched = await api.http.patch('/v1/me').set(bob.auth).send({ displayName: 'Robert' });
    expect(patched.status).toBe(200);
    const res = await api.http.get(`/v1/admin/users/${bob.userId}`).set(admin.auth).set('X-Min-Position', patched.headers['x-event-position'] as string);
    expect(res.body.displayName).toBe('Robert');
  });

  it('is 404 for an unknown or malformed id', async () => {
    expect((await api.http.get(`/v1/admin/users/${randomUUID()}`).set(admin.auth)).status).toBe(404);
    expect((await api.http.get('/v1/admin/users/not-a-uuid').set(admin.auth)).status).toBe(404);
  });
});

describe('the users read model', () => {
  it('follows a reactivation', async () => {
    const reactivated = await api.http.post(`/v1/admin/users/${carol.userId}/reactivate`).set(admin.auth);
    expect(reactivated.status).toBe(200);
    const res = await api.http.get(`/v1/admin/users/${carol.userId}`).set(admin.auth).set('X-Min-Position', reactivated.headers['x-event-position'] as string);
    expect(res.body.status).toBe('active');
  });
});

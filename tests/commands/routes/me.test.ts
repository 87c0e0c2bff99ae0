import type { Response } from 'supertest';
import { startTestApi, type TestApi, type TestUser } from '../../support/api';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const refused = (send: () => PromiseLike<Response>, status: number) => api.refused(send, status);

const login = (user: TestUser, password: string) => api.http.post('/v1/auth/login').send({ email: user.email, password });

describe('GET /v1/me', () => {
  it('answers the user with profile, platform roles, status and workspaces, and the ETag of the user stream', async () => {
    const user = await api.register({ displayName: 'Grace' });
    const res = await api.http.get('/v1/me').set(user.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: user.userId,
      email: user.email,
      displayName: 'Grace',
      bio: null,
      avatarUrl: null,
      timezone: null,
      locale: null,
      platformRoles: [],
      status: 'active',
      workspaces: expect.any(Array),
    });
    expect(Array.isArray(res.body.workspaces)).toBe(true);
    expect(res.headers.etag).toBe('W/"0"');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses an anonymous caller with 401', async () => {
    await refused(() => api.http.get('/v1/me'), 401);
  });
});

describe('PATCH /v1/me', () => {
  let user: TestUser;

  beforeAll(async () => {
    user = await api.register({ displayName: 'Ada' });
  });

  it('updates the profile, keeps personal data under `personal`, and answers the profile with the new ETag', async () => {
    const res = await api.http
      .patch('/v1/me')
      .set(user.auth)
      .send({ displayName: ' Ada L. ', bio: 'Analyst', avatarUrl: 'https://cdn.example.com/ada.png', timezone: 'Europe/London', locale: 'en-gb' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: user.userId,
      email: user.email,
      displayName: 'Ada L.',
      bio: 'Analyst',
      avatarUrl: 'https://cdn.example.com/ada.png',
      timezone: 'Europe/London',
      locale: 'en-GB',
      platformRoles: [],
      status: 'active',
    });
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    const updated = (await api.store.readStream(`user-${user.userId}`)).at(-1)!;
    expect(updated).toMatchObject({
      type: 'UserProfileUpdated',
      data: { personal: { displayName: 'Ada L.', bio: 'Analyst', avatarUrl: 'https://cdn.example.com/ada.png' }, timezone: 'Europe/London', locale: 'en-GB' },
      metadata: { actor: { type: 'user', id: user.userId } },
    });
    const read = await api.http.get('/v1/me').set(user.auth);
    expect(read.body).toMatchObject({ displayName: 'Ada L.', locale: 'en-GB' });
    expect(read.headers.etag).toBe('W/"1"');
  });

  it('clears bio and avatar with null or an empty string, and appends nothing when nothing changes', async () => {
    const cleared = await api.http.patch('/v1/me').set(user.auth).send({ bio: null, avatarUrl: '' });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ bio: null, avatarUrl: null, displayName: 'Ada L.' });
    const before = (await api.events()).length;
    const same = await api.http.patch('/v1/me').set(user.auth).send({ displayName: 'Ada L.' });
    expect(same.status).toBe(200);
    expect(same.headers.etag).toBe(cleared.headers.etag);
    expect((await api.http.patch('/v1/me').set(user.auth).send({})).status).toBe(200);
    expect((await api.events()).length).toBe(before);
  });

  it('honours If-Match: a stale revision is 412, the current one succeeds, a malformed one is 422', async () => {
    const current = (await api.http.get('/v1/me').set(user.auth)).headers.etag as string;
    const stale = await refused(() => api.http.patch('/v1/me').set(user.auth).set('If-Match', 'W/"0"').send({ bio: 'stale' }), 412);
    expect(stale.body.currentRevision).toBe(current.replace(/\D/g, ''));
    await refused(() => api.http.patch('/v1/me').set(user.auth).set('If-Match', 'yesterday').send({ bio: 'bad' }), 422);
    const fresh = await api.http.patch('/v1/me').set(user.auth).set('If-Match', current).send({ bio: 'fresh' });
    expect(fresh.status).toBe(200);
    expect(fresh.body.bio).toBe('fresh');
  });

  it.each([
    ['an empty display name', { displayName: '' }, 'displayName'],
    ['a display name of 101 characters', { displayName: 'x'.repeat(101) }, 'displayName'],
    ['a bio of 501 characters', { bio: 'x'.repeat(501) }, 'bio'],
    ['a javascript: avatar', { avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
    ['an avatar URL with a password', { avatarUrl: 'https://user:secret@cdn.example.com/a.png' }, 'avatarUrl'],
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, 'timezone'],
    ['a malformed locale', { locale: 'not a locale!' }, 'locale'],
    ['a change of email (not a profile field)', { email: 'new@example.com' }, 'email'],
  ])('refuses %s with 422 naming the field', async (_case, body, field) => {
    const res = await refused(() => api.http.patch('/v1/me').set(user.auth).send(body), 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
  });

  it('refuses an anonymous caller with 401', async () => {
    await refused(() => api.http.patch('/v1/me').send({ bio: 'x' }), 401);
  });
});

describe('POST /v1/me/password', () => {
  const change = (user: TestUser, currentPassword: string, newPassword: string) => api.http.post('/v1/me/password').set(user.auth).send({ currentPassword, newPassword });

  it("changes the password, keeps this session and ends the user's other sessions", async () => {
    const user = await api.register();
    const other = await login(user, user.password);
    const res = await change(user, user.password, 'a completely new passphrase');
    expect(res.status).toBe(204);
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect((await api.store.readStream(`user-${user.userId}`)).at(-1)).toMatchObject({ type: 'UserPasswordChanged', data: {}, metadata: { actor: { type: 'user', id: user.userId } } });

    expect((await api.http.get('/v1/me').set(user.auth)).status).toBe(200);
    expect((await api.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(200);
    await refused(() => api.http.get('/v1/me').set('Authorization', `Bearer ${other.body.accessToken}`), 401);
    await refused(() => api.http.post('/v1/auth/refresh').send({ refreshToken: other.body.refreshToken }), 401);

    expect((await login(user, 'a completely new passphrase')).status).toBe(200);
    await refused(() => login(user, user.password), 401);
  });

  it('refuses a wrong current password with 422 naming currentPassword', async () => {
    const user = await api.register();
    const res = await refused(() => change(user, 'not my password at all', 'a completely new passphrase'), 422);
    expect(res.body.errors).toEqual([{ in: 'body', field: 'currentPassword', message: 'is not the current password' }]);
    expect((await login(user, user.password)).status).toBe(200);
  });

  it.each([
    ['too short', 'short'],
    ['common', 'iloveyou'],
    ['unchanged', 'correct horse battery staple'],
  ])('refuses a new password that is %s with 422 naming newPassword', async (_case, newPassword) => {
    const user = await api.register();
    const res = await refused(() => change(user, user.password, newPassword), 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'body', field: 'newPassword' })]);
  });

  it('refuses the email as the new password, missing fields and unknown fields with 422', async () => {
    const user = await api.register();
    await refused(() => change(user, user.password, user.email), 422);
    await refused(() => api.http.post('/v1/me/password').set(user.auth).send({ newPassword: 'a completely new passphrase' }), 422);
    await refused(() => api.http.post('/v1/me/password').set(user.auth).send({ currentPassword: user.password, newPassword: 'a completely new passphrase', otp: '1' }), 422);
  });

  it('refuses an anonymous caller with 401', async () => {
    await refused(() => api.http.post('/v1/me/password').send({ currentPassword: 'a', newPassword: 'b' }), 401);
  });
});

import { decodeJwt, SignJWT } from 'jose';
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import type { SigningKeys } from '../../../src/auth/signing-keys';
import { userDecider } from '../../../src/domain/user/decider';
import { startTestApi, type TestApi, type TestUser } from '../../support/api';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const refused = (send: () => PromiseLike<Response>, status: number) => api.refused(send, status);

const me = (token: string) => api.http.get('/v1/me').set('Authorization', `Bearer ${token}`);

async function deactivate(userId: string): Promise<void> {
  await api.assembly.deps.commands.handle({ streamId: `user-${userId}`, decider: userDecider, command: { type: 'DeactivateUser' }, metadata: { actor: { type: 'system', id: 'test' } } });
}

describe('POST /v1/auth/register', () => {
  it('registers a user: 201 with the user and a session, ETag, Location and position; the log holds no password', async () => {
    const password = 'a long and unusual passphrase';
    const res = await api.http.post('/v1/auth/register').send({ email: ' Ann.Lee@Example.com ', password, displayName: ' Ann ' });
    expect(res.status).toBe(201);
    const userId = res.body.user.id as string;
    expect(res.body).toEqual({ user: { id: userId, email: 'ann.lee@example.com', displayName: 'Ann' }, accessToken: expect.any(String), refreshToken: expect.stringMatching(/^rt_/), expiresIn: 900 });
    expect(res.headers.etag).toBe('W/"0"');
    expect(res.headers.location).toBe('/v1/me');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    const [registered, ...rest] = await api.store.readStream(`user-${userId}`);
    expect(rest).toEqual([]);
    expect(registered).toMatchObject({
      type: 'UserRegistered',
      data: { userId, personal: { email: 'ann.lee@example.com', displayName: 'Ann' } },
      metadata: { actor: { type: 'user', id: userId } },
    });
    expect(registered!.position.toString()).toBe(res.headers['x-event-position']);
    const log = JSON.stringify(await api.events(), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    expect(log).not.toContain(password);
    expect((await me(res.body.accessToken)).status).toBe(200);
  });

  it.each([
    ['too short', { password: 'short' }, 'password'],
    ['common', { password: 'Password123' }, 'password'],
    ['the email', { email: 'weak.choice@example.com', password: 'weak.choice@example.com' }, 'password'],
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['a missing display name', { displayName: undefined }, 'displayName'],
    ['an unknown field', { admin: true }, 'admin'],
  ])('refuses %s with 422 naming the field', async (_case, change, field) => {
    const body = { email: `user-${randomUUID()}@example.com`, password: 'correct horse battery staple', displayName: 'X', ...change };
    const res = await refused(() => api.http.post('/v1/auth/register').send(body), 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
  });

  it('refuses an email already registered (in another case) with 409', async () => {
    const user = await api.register();
    const res = await refused(() => api.http.post('/v1/auth/register').send({ email: user.email.toUpperCase(), password: 'another good passphrase', displayName: 'Twin' }), 409);
    expect(res.body.code).toBe('EmailTaken');
  });

  it('of 20 simultaneous registrations with one email, exactly one succeeds and one event is appended', async () => {
    const email = `race-${randomUUID()}@example.com`;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.http.post('/v1/auth/register').send({ email, password: `race passphrase number ${i}`, displayName: `Racer ${i}` })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(409)]);
    const registered = (await api.events()).filter((e) => e.type === 'UserRegistered' && (e.data as { personal: { email: string } }).personal.email === email);
    expect(registered).toHaveLength(1);
    expect(registered[0]!.streamId).toBe(`user-${responses.find((r) => r.status === 201)!.body.user.id}`);
  });

  it('answers malformed JSON with 400, a non-JSON body with 415 and a body over 1 MiB with 413', async () => {
    await refused(() => api.http.post('/v1/auth/register').set('Content-Type', 'application/json').send('{"email": "a@example.com",'), 400);
    await refused(() => api.http.post('/v1/auth/register').set('Content-Type', 'text/plain').send('email=a@example.com'), 415);
    const huge = { email: 'big@example.com', password: 'correct horse battery staple', displayName: 'x'.repeat(1024 * 1024 + 1) };
    await refused(() => api.http.post('/v1/auth/register').send(huge), 413);
  });
});

describe('POST /v1/auth/login', () => {
  it('signs a user in with a new session', async () => {
    const user = await api.register();
    const res = await api.http.post('/v1/auth/login').send({ email: user.email.toUpperCase(), password: user.password });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.stringMatching(/^rt_/), expiresIn: 900 });
    expect(decodeJwt(res.body.accessToken).sid).not.toBe(decodeJwt(user.accessToken).sid);
    expect((await me(res.body.accessToken)).status).toBe(200);
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const user = await api.register();
    const wrong = await refused(() => api.http.post('/v1/auth/login').send({ email: user.email, password: 'not the password at all' }), 401);
    const unknown = await refused(() => api.http.post('/v1/auth/login').send({ email: `nobody-${randomUUID()}@example.com`, password: 'not the password at all' }), 401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body.code).toBe('InvalidCredentials');
  });

  it('refuses a deactivated user with the same 401', async () => {
    const user = await api.register();
    await deactivate(user.userId);
    const res = await refused(() => api.http.post('/v1/auth/login').send({ email: user.email, password: user.password }), 401);
    expect(res.body.code).toBe('InvalidCredentials');
  });

  it('rate-limits credential routes per address: the 4th attempt of 3 allowed is 429 with RateLimit-* and Retry-After', async () => {
    const limited = await startTestApi({ rateLimits: { credentials: 3 } });
    try {
      const attempt = () => limited.http.post('/v1/auth/login').send({ email: 'who@example.com', password: 'guess number one' });
      for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
      const res = await attempt();
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.headers['ratelimit-limit']).toBe('3');
      expect(res.headers['ratelimit-remaining']).toBe('0');
      expect(res.headers['ratelimit-reset']).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ status: 429, detail: expect.stringContaining('Too many requests') });
    } finally {
      await limited.close();
    }
  });
});

describe('access tokens over HTTP (GET /v1/me)', () => {
  let user: TestUser;
  let keys: SigningKeys;

  beforeAll(async () => {
    user = await api.register();
    // the harness's signing key, to forge tokens that differ from a genuine one in one respect only
    keys = Reflect.get(api.assembly.deps.accessTokens, 'keys') as SigningKeys;
  });

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  function claims(change: Record<string, unknown> = {}): Record<string, unknown> {
    const iat = nowSeconds();
    const genuine = { iss: 'postledger-test', aud: 'postledger-test-api', sub: user.userId, sid: decodeJwt(user.accessToken).sid, iat, exp: iat + 900, jti: randomUUID() };
    return { ...genuine, ...change };
  }
  function forge(change: { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: KeyObject | Uint8Array } = {}): Promise<string> {
    return new SignJWT(claims(change.claims))
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'at+jwt', ...change.header })
      .sign(change.key ?? keys.privateKey);
  }
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('accepts a token forged with the genuine key and claims (so the refusals below test one difference each)', async () => {
    expect((await me(await forge())).status).toBe(200);
  });

  it('refuses no header, garbage and unknown schemes with 401', async () => {
    await refused(() => api.http.get('/v1/me'), 401);
    await refused(() => me('garbage'), 401);
    await refused(() => me('a.b.c'), 401);
    await refused(() => api.http.get('/v1/me').set('Authorization', 'Bearer'), 401);
    await refused(() => api.http.get('/v1/me').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`), 401);
  });

  it('refuses alg none', async () => {
    const unsigned = `${base64url({ alg: 'none', typ: 'at+jwt', kid: keys.kid })}.${base64url(claims())}.`;
    await refused(() => me(unsigned), 401);
  });

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const publicPem = keys.publicKeys.get(keys.kid)!.export({ type: 'spki', format: 'pem' }).toString();
    await refused(async () => me(await forge({ header: { alg: 'HS256' }, key: new TextEncoder().encode(publicPem) })), 401);
  });

  it('refuses a token signed by another Ed25519 key, under our kid or another', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    await refused(async () => me(await forge({ key: privateKey })), 401);
    await refused(async () => me(await forge({ key: privateKey, header: { kid: 'attacker' } })), 401);
  });

  it.each([
    ['a wrong issuer', { iss: 'https://evil.example.com' }],
    ['a wrong audience', { aud: 'another-api' }],
    ['an expired token', { iat: nowSeconds() - 1000, exp: nowSeconds() - 10 }],
    ['no session', { sid: undefined }],
  ])('refuses %s', async (_case, change) => {
    await refused(async () => me(await forge({ claims: change })), 401);
  });

  it('refuses a token of another type (typ JWT)', async () => {
    await refused(async () => me(await forge({ header: { typ: 'JWT' } })), 401);
  });

  it('refuses a token once the clock passes its expiry', async () => {
    api.clock.offsetMs = 901_000;
    try {
      await refused(() => me(user.accessToken), 401);
    } finally {
      api.clock.offsetMs = 0;
    }
  });

  it('refuses an API key on a route for signed-in users', async () => {
    const { key } = await api.assembly.deps.apiKeys.create({ id: randomUUID(), workspaceId: randomUUID(), name: 'bot', scopes: [], createdBy: user.userId });
    const res = await refused(() => api.http.get('/v1/me').set('Authorization', `ApiKey ${key}`), 401);
    expect(res.body.detail).toBe('This route needs a signed-in user, not an API key.');
  });
});

describe('POST /v1/auth/refresh and /logout', () => {
  const refresh = (refreshToken: string) => api.http.post('/v1/auth/refresh').send({ refreshToken });

  it('rotates a refresh token into a new pair of the same session', async () => {
    const user = await api.register();
    const res = await refresh(user.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.stringMatching(/^rt_/), expiresIn: 900 });
    expect(res.body.refreshToken).not.toBe(user.refreshToken);
    expect(decodeJwt(res.body.accessToken).sid).toBe(decodeJwt(user.accessToken).sid);
    expect((await me(res.body.accessToken)).status).toBe(200);
  });

  it('revokes the whole session when a spent token is reused: the newer token and the access tokens stop working', async () => {
    const user = await api.register();
    const rotated = await refresh(user.refreshToken);
    const reused = await refused(() => refresh(user.refreshToken), 401);
    expect(reused.body.code).toBe('refresh_token_reused');
    await refused(() => refresh(rotated.body.refreshToken), 401);
    await refused(() => me(rotated.body.accessToken), 401);
    await refused(() => me(user.accessToken), 401);
  });

  it('ends the session on logout: its refresh token fails and its access token is refused at once', async () => {
    const user = await api.register();
    const other = await api.http.post('/v1/auth/login').send({ email: user.email, password: user.password });
    const out = await api.http.post('/v1/auth/logout').send({ refreshToken: user.refreshToken });
    expect(out.status).toBe(204);
    await refused(() => refresh(user.refreshToken), 401);
    await refused(() => me(user.accessToken), 401);
    expect((await me(other.body.accessToken)).status).toBe(200);
  });

  it('refuses a refresh for a deactivated user', async () => {
    const user = await api.register();
    await deactivate(user.userId);
    await refused(() => refresh(user.refreshToken), 401);
  });
});

describe('password reset', () => {
  const requestReset = (email: string) => api.http.post('/v1/auth/password-reset').send({ email });
  const confirm = (token: string, password: string) => api.http.post('/v1/auth/password-reset/confirm').send({ token, password });
  const login = (user: TestUser, password: string) => api.http.post('/v1/auth/login').send({ email: user.email, password });

  async function mailedToken(user: TestUser): Promise<string> {
    const before = api.mailer.sent.length;
    const res = await requestReset(user.email.toUpperCase());
    expect(res.status).toBe(202);
    expect(api.mailer.sent.slice(before)).toEqual([{ to: user.email, token: expect.stringMatching(/^prt_/) }]);
    return api.mailer.sent.at(-1)!.token;
  }

  it('mails a token, and the token sets a new password once; the old password and every session stop working', async () => {
    const user = await api.register();
    const second = await login(user, user.password);
    const token = await mailedToken(user);

    const res = await confirm(token, 'a brand new passphrase');
    expect(res.status).toBe(204);
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    const events = await api.store.readStream(`user-${user.userId}`);
    expect(events.at(-1)).toMatchObject({ type: 'UserPasswordReset', data: {}, metadata: { actor: { type: 'user', id: user.userId } } });

    expect((await login(user, 'a brand new passphrase')).status).toBe(200);
    await refused(() => login(user, user.password), 401);
    for (const session of [user, { accessToken: second.body.accessToken as string, refreshToken: second.body.refreshToken as string }]) {
      await refused(() => api.http.post('/v1/auth/refresh').send({ refreshToken: session.refreshToken }), 401);
      await refused(() => me(session.accessToken), 401);
    }
    const again = await refused(() => confirm(token, 'yet another passphrase'), 422);
    expect(again.body.code).toBe('invalid_reset_token');
  });

  it('answers 202 with the same body for an unknown email, and mails nothing', async () => {
    const user = await api.register();
    const known = await requestReset(user.email);
    const before = api.mailer.sent.length;
    const unknown = await requestReset(`nobody-${randomUUID()}@example.com`);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    expect(api.mailer.sent.length).toBe(before);
  });

  it('mails nothing to a deactivated user', async () => {
    const user = await api.register();
    await deactivate(user.userId);
    const before = api.mailer.sent.length;
    expect((await requestReset(user.email)).status).toBe(202);
    expect(api.mailer.sent.length).toBe(before);
  });

  it('still answers 202 when the mail cannot be sent', async () => {
    const user = await api.register();
    const send = api.mailer.sendPasswordReset;
    api.mailer.sendPasswordReset = () => Promise.reject(new Error('SMTP is down'));
    try {
      expect((await requestReset(user.email)).status).toBe(202);
    } finally {
      api.mailer.sendPasswordReset = send;
    }
  });

  it('refuses a weak password with 422 without spending the token', async () => {
    const user = await api.register();
    const token = await mailedToken(user);
    const weak = await refused(() => confirm(token, 'password1'), 422);
    expect(weak.body.errors).toEqual([expect.objectContaining({ in: 'body', field: 'password' })]);
    expect((await confirm(token, 'a strong replacement phrase')).status).toBe(204);
  });

  it('refuses the email as the new password with 422', async () => {
    const user = await api.register();
    const token = await mailedToken(user);
    const res = await refused(() => confirm(token, user.email), 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'password', message: expect.stringContaining('email') })]);
  });

  it('refuses unknown, malformed and expired tokens with 422', async () => {
    const user = await api.register();
    await refused(() => confirm('prt_' + 'A'.repeat(43), 'a strong replacement phrase'), 422);
    await refused(() => confirm('not-a-token', 'a strong replacement phrase'), 422);
    const token = await mailedToken(user);
    api.clock.offsetMs = 31 * 60_000;
    try {
      await refused(() => confirm(token, 'a strong replacement phrase'), 422);
    } finally {
      api.clock.offsetMs = 0;
    }
    await refused(() => api.http.post('/v1/auth/password-reset').send({ email: 'not an email' }), 422);
  });
});

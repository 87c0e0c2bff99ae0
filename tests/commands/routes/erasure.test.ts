/**
 * Erasure end to end over HTTP: DELETE /v1/me and the admin command destroy the person's key;
 * afterwards no plaintext of theirs is left in the log, read models (also rebuilt), the
 * analytics cache in Redis, the auth tables or the logs, and everything else is intact.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { changePlatformRole } from '../../../src/cli/users';
import { createLogger } from '../../../src/platform/logger';
import { createRedis } from '../../../src/platform/redis';
import { projections } from '../../../src/projections';
import { Projector } from '../../../src/projections/projector';
import { readModelDb } from '../../../src/projections/read-models';
import type { ConsumedMessage } from '../../../src/streaming/bus';
import { InProcessBus } from '../../../src/streaming/in-process-bus';
import { Relay } from '../../../src/streaming/relay';
import { relayMigrations } from '../../../src/streaming/relay-checkpoint';
import { migrate } from '../../../src/platform/migrations';
import { startTestApi, type TestApi, type TestUser } from '../../support/api';
import { connectAccount, draftPost, issueApiKey } from './workspace-fixtures';

const logLines: string[] = [];
let api: TestApi;
let redis: Redis;
let admin: TestUser;
let auditor: TestUser;

beforeAll(async () => {
  redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', createLogger('silent'));
  await redis.connect();
  api = await startTestApi({ redis, logger: createLogger('debug', { write: (line: string) => void logLines.push(line) }) });
  admin = await api.register({ displayName: 'Root' });
  await changePlatformRole(api.store, api.pool, { action: 'grant-role', email: admin.email, role: 'admin' });
  auditor = await api.register({ displayName: 'Auditor' });
  await changePlatformRole(api.store, api.pool, { action: 'grant-role', email: auditor.email, role: 'auditor' });
  await migrate(api.pool, relayMigrations);
});
afterAll(async () => {
  await api.close();
  redis.disconnect();
});

/** A person whose every personal field carries `tag`, so any copy left anywhere is found by it. */
async function person(): Promise<TestUser & { tag: string; displayName: string }> {
  const tag = `zq${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const displayName = `Ann ${tag}`;
  const user = await api.register({ email: `ann.${tag}@example.com`, displayName });
  const res = await api.http.patch('/v1/me').set(user.auth).send({ bio: `bio of ${tag}`, avatarUrl: `https://cdn.example.com/${tag}.png`, timezone: 'Europe/Paris' });
  expect(res.status).toBe(200);
  return { ...user, tag, displayName };
}

/** Every row of every table of the test's schema, as text. */
async function databaseText(): Promise<string> {
  const { rows: tables } = await api.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' order by table_name`,
    [api.database.schema],
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await api.pool.query<{ row: string }>(`select t::text as row from ${api.database.schema}."${table_name}" t`);
    parts.push(`${table_name}: ${rows.map((r) => r.row).join('\n')}`);
  }
  return parts.join('\n');
}

/** The read models (rm_*), table by table, in a stable order. */
async function readModels(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const { rows: tables } = await api.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = $1 and table_name like 'rm\\_%' order by table_name`,
    [api.database.schema],
  );
  for (const { table_name } of tables) {
    const { rows } = await api.pool.query<{ row: string }>(`select t::text as row from "${table_name}" t`);
    out[table_name] = rows.map((r) => r.row).sort();
  }
  return out;
}

/** Every string value under the service's Redis keys. */
async function redisText(): Promise<string> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', 'postledger:*', 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const values = await Promise.all(keys.map((key) => redis.get(key).catch(() => '')));
  return keys.map((key, i) => `${key}=${values[i] ?? ''}`).join('\n');
}

/** Relays the whole log to a bus of its own, as the service does, and returns what reached `postledger.user`. */
async function relayedUserMessages(): Promise<ConsumedMessage[]> {
  const bus = new InProcessBus();
  const received: ConsumedMessage[] = [];
  const consumer = await bus.consume({ topics: ['postledger.user'], fromBeginning: true, handle: async (message) => void received.push(message) });
  const relay = new Relay({ store: api.store, bus, pool: api.pool, lockConnection: api.database.connection, logger: createLogger('silent'), name: `erasure-${randomUUID().slice(0, 8)}` });
  relay.start();
  try {
    const { rows } = await api.pool.query<{ n: string }>(`select count(*) as n from pl_events where category = 'user'`);
    const deadline = Date.now() + 15_000;
    while (received.length < Number(rows[0]!.n)) {
      if (Date.now() > deadline) throw new Error(`relayed ${received.length} of ${rows[0]!.n} user events`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await relay.stop();
    await consumer.stop();
    await bus.close();
  }
  return received;
}

/** Runs every projection from scratch over the whole log into emptied tables: a rebuild. */
async function rebuildProjections(): Promise<void> {
  await api.stopProjectors();
  const names = projections.map((p) => p.name);
  await api.pool.query(`delete from pl_projection_checkpoints where name = any($1::text[])`, [names]);
  const { rows: tables } = await api.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = $1 and table_name like 'rm\\_%'`,
    [api.database.schema],
  );
  for (const { table_name } of tables) await api.pool.query(`truncate "${table_name}"`);
  const head = (await api.store.headPosition()) ?? 0n;
  const logger = createLogger('silent');
  const projectors = projections.map(
    (projection) => new Projector({ db: readModelDb(api.pool), store: projection.storedForm ? api.rawStore : api.store, projection, lockConnection: api.database.connection, logger, retryMs: 20 }),
  );
  for (const projector of projectors) projector.start();
  try {
    const deadline = Date.now() + 15_000;
    for (const projector of projectors) {
      const { filter } = projections.find((p) => p.name === projector.name)!;
      const { rows } = await api.pool.query<{ p: string | null }>(
        `select max(position) as p from pl_events where position <= $3 and category = any($1::text[]) and type = any($2::text[])`,
        [filter.categories, filter.types, head.toString()],
      );
      const target = BigInt(rows[0]!.p ?? '0');
      while (projector.status.checkpoint < target) {
        if (projector.status.state === 'failed' || Date.now() > deadline) throw new Error(`rebuild of ${projector.name} did not complete (${projector.status.state})`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  } finally {
    await Promise.all(projectors.map((p) => p.stop()));
  }
}

describe('DELETE /v1/me', () => {
  it('erases the caller everywhere while everything else they did stays', async () => {
    const ann = await person();
    const workspaceId = await api.createWorkspace(ann, 'Erasure Co');
    const bob = await api.member(workspaceId, ann, 'editor');
    const accountId = await connectAccount(api, workspaceId, ann);
    const postId = await draftPost(api, workspaceId, accountId, ann);
    for (const [author, body] of [[ann, 'Looks good to me'], [bob, 'Agreed']] as const) {
      expect((await api.http.post(`/v1/workspaces/${workspaceId}/posts/${postId}/comments`).set(author.auth).send({ body })).status).toBe(201);
    }
    const key = await issueApiKey(api, workspaceId, ann, ['analytics:read']);
    api.startProjectors();
    await api.projectionsCaughtUp();
    // answers in the Redis cache, through the session and through the key
    expect((await api.http.get(`/v1/workspaces/${workspaceId}/analytics/overview`).set(ann.auth)).status).toBe(200);
    expect((await api.http.get(`/v1/workspaces/${workspaceId}/analytics/overview`).set(key.auth)).status).toBe(200);
    // the log never held the plaintext, only the API's answers did
    const rawLog = (await api.pool.query<{ t: string }>('select string_agg(data::text || metadata::text, \'\n\') as t from pl_events')).rows[0]!.t;
    expect(rawLog).not.toContain(ann.tag);
    expect((await api.http.get('/v1/me').set(ann.auth)).body).toMatchObject({ email: ann.email, displayName: ann.displayName, bio: `bio of ${ann.tag}` });

    const erased = await api.http.delete('/v1/me').set(ann.auth);
    expect(erased.status).toBe(204);
    expect(erased.headers['x-event-position']).toMatch(/^\d+$/);

    // the account is gone for good: session, refresh token, password and API key all refused
    expect((await api.http.get('/v1/me').set(ann.auth)).status).toBe(401);
    expect((await api.http.post('/v1/auth/refresh').send({ refreshToken: ann.refreshToken })).status).toBe(401);
    expect((await api.http.post('/v1/auth/login').send({ email: ann.email, password: ann.password })).status).toBe(401);
    expect((await api.http.get(`/v1/workspaces/${workspaceId}/analytics/overview`).set(key.auth)).status).toBe(401);

    // the log records the erasure, by the person, with no personal data; their groups read as erased
    const stream = await api.store.readStream(`user-${ann.userId}`);
    expect(stream.map((e) => e.type)).toEqual(['UserRegistered', 'UserProfileUpdated', 'UserDeactivated', 'UserErased']);
    expect(stream.map((e) => e.data)).toEqual([
      { userId: ann.userId, personal: { erased: true } },
      { personal: { erased: true }, timezone: 'Europe/Paris' },
      {},
      {},
    ]);
    expect(stream.at(-1)!.metadata.actor).toEqual({ type: 'user', id: ann.userId });

    // everything else stays: the workspace, its members, the post, both comments (Ann's by her id)
    await api.projectionsCaughtUp();
    expect((await api.http.get(`/v1/workspaces/${workspaceId}`).set(bob.auth)).status).toBe(200);
    const comments = await api.http.get(`/v1/workspaces/${workspaceId}/posts/${postId}/comments`).set(bob.auth);
    expect(comments.status).toBe(200);
    expect(JSON.stringify(comments.body)).toContain(ann.userId);
    expect(JSON.stringify(comments.body)).toContain('Looks good to me');
    expect((await api.http.get(`/v1/workspaces/${workspaceId}/posts/${postId}`).set(bob.auth)).body).toMatchObject({ content: 'Launch day!' });
    expect((await api.http.get('/v1/me').set(bob.auth)).body.workspaces).toEqual([{ id: workspaceId, name: 'Erasure Co', role: 'editor' }]);
    expect((await api.http.get(`/v1/workspaces/${workspaceId}/analytics/overview`).set(bob.auth)).status).toBe(200);

    // auditors see the erasure and the erased groups, and the chain over the stored log still verifies
    const history = await api.http.get(`/v1/audit/streams/user-${ann.userId}`).set(auditor.auth);
    expect(history.status).toBe(200);
    expect(JSON.stringify(history.body)).not.toContain(ann.tag);
    expect(JSON.stringify(history.body)).toContain('"erased":true');
    const verified = await api.http.get('/v1/audit/verify').set(auditor.auth);
    expect(verified.body).toMatchObject({ ok: true });
    expect(verified.body.checked).toBeGreaterThanOrEqual(Number(stream.at(-1)!.position));

    // the users read model keeps the row, without the personal columns
    const listed = await api.http.get(`/v1/admin/users/${ann.userId}`).set(admin.auth);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ id: ann.userId, email: null, displayName: null, erased: true, status: 'deactivated' });
    const searched = await api.http.get(`/v1/admin/users?q=${ann.tag}`).set(admin.auth);
    expect(searched.body.items).toEqual([]);

    // messages produced after the erasure carry the erased group
    const relayed = (await relayedUserMessages()).filter((m) => m.key === `user-${ann.userId}`);
    expect(relayed.map((m) => (JSON.parse(m.value) as { type: string }).type)).toEqual(['UserRegistered', 'UserProfileUpdated', 'UserDeactivated', 'UserErased']);
    expect((JSON.parse(relayed[0]!.value) as { data: unknown }).data).toEqual({ userId: ann.userId, personal: { erased: true } });

    // no plaintext anywhere: every table (log, read models, auth, keys), Redis, the bus, the logs
    const before = await readModels();
    for (const text of [await databaseText(), await redisText(), relayed.map((m) => m.value).join('\n'), logLines.join('\n')]) {
      expect(text).not.toContain(ann.tag);
    }
    // a rebuild from the log gives the same read models, still without the person
    await rebuildProjections();
    expect(await readModels()).toEqual(before);
    expect(await databaseText()).not.toContain(ann.tag);
    // the chain rebuilt from the stored log links the same way and verifies
    expect((await api.http.get('/v1/audit/verify').set(auditor.auth)).body).toMatchObject({ ok: true });

    // the email is free again: another person may register with it
    const again = await api.register({ email: ann.email, displayName: 'Someone else' });
    expect(again.userId).not.toBe(ann.userId);
    expect((await api.http.post('/v1/auth/login').send({ email: ann.email, password: again.password })).status).toBe(200);
  });
});

describe('POST /v1/admin/users/{userId}/erase', () => {
  const erase = (by: TestUser, userId: string) => api.http.post(`/v1/admin/users/${userId}/erase`).set(by.auth);

  it('erases a user for a platform admin, and a second time changes nothing', async () => {
    const carl = await person();
    const res = await erase(admin, carl.userId);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: carl.userId, status: 'deactivated', erased: true });
    const count = (await api.events()).length;
    const twice = await erase(admin, carl.userId);
    expect(twice.status).toBe(200);
    expect(twice.body).toEqual(res.body);
    expect((await api.events()).length).toBe(count);
    expect((await api.http.get('/v1/me').set(carl.auth)).status).toBe(401);
    expect((await api.store.readStream(`user-${carl.userId}`)).at(-1)).toMatchObject({ type: 'UserErased', metadata: { actor: { type: 'user', id: admin.userId } } });
    expect(await databaseText()).not.toContain(carl.tag);
  });

  it('records only the erasure for a user already deactivated', async () => {
    const dana = await person();
    expect((await api.http.post(`/v1/admin/users/${dana.userId}/deactivate`).set(admin.auth).send({})).status).toBe(200);
    expect((await erase(admin, dana.userId)).status).toBe(200);
    expect((await api.store.readStream(`user-${dana.userId}`)).map((e) => e.type).slice(-2)).toEqual(['UserDeactivated', 'UserErased']);
  });

  it('never reactivates an erased user (409)', async () => {
    const erin = await person();
    await erase(admin, erin.userId);
    const res = await api.refused(() => api.http.post(`/v1/admin/users/${erin.userId}/reactivate`).set(admin.auth), 409);
    expect(res.body.code).toBe('UserIsErased');
  });

  it('refuses anyone but a platform admin (403), an unknown user (404), the admin themselves (409), and anonymous callers (401)', async () => {
    const frank = await person();
    const other = await api.register();
    await api.refused(() => erase(other, frank.userId), 403);
    await api.refused(() => erase(admin, randomUUID()), 404);
    await api.refused(() => erase(admin, 'not-a-uuid'), 404);
    const self = await api.refused(() => erase(admin, admin.userId), 409);
    expect(self.body.code).toBe('CannotEraseSelfAsAdmin');
    await api.refused(() => api.http.post(`/v1/admin/users/${frank.userId}/erase`), 401);
    await api.refused(() => api.http.delete('/v1/me'), 401);
    expect((await api.http.get('/v1/me').set(frank.auth)).body).toMatchObject({ displayName: frank.displayName });
  });

  it('is documented in the OpenAPI document with DELETE /v1/me', async () => {
    const { paths } = (await api.http.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(paths['/v1/me']!)).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(paths['/v1/admin/users/{userId}/erase']).toHaveProperty('post');
  });
});

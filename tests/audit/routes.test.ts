import { changePlatformRole } from '../../src/cli/users';
import type { PlatformRole } from '../../src/domain/user/platform-roles';
import { startTestApi, type TestApi, type TestUser } from '../support/api';

let api: TestApi;
let owner: TestUser;
let auditor: TestUser;
let analyst: TestUser;
let admin: TestUser;
let workspaceId: string;
let otherWorkspaceId: string;

const grant = (user: TestUser, role: PlatformRole) => changePlatformRole(api.store, api.pool, { action: 'grant-role', email: user.email, role });
const revoke = (user: TestUser, role: PlatformRole) => changePlatformRole(api.store, api.pool, { action: 'revoke-role', email: user.email, role });

type Item = { position: string; type: string; streamId: string; link: string; metadata: { actor?: { id: string }; correlationId?: string; workspaceId?: string }; data: Record<string, unknown> };

async function auditPage(user: { Authorization: string }, query: Record<string, string | number> = {}): Promise<{ items: Item[]; nextCursor: string | null }> {
  const res = await api.http.get('/v1/audit/events').query(query).set(user);
  expect(res.status).toBe(200);
  return res.body as { items: Item[]; nextCursor: string | null };
}

/** Every page of a filtered listing, following nextCursor. */
async function allPages(user: { Authorization: string }, query: Record<string, string | number>): Promise<Item[]> {
  const items: Item[] = [];
  for (let cursor: string | undefined; ; ) {
    const page = await auditPage(user, { ...query, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
}

beforeAll(async () => {
  api = await startTestApi();
  [owner, auditor, analyst, admin] = await Promise.all([api.register(), api.register(), api.register(), api.register()]);
  await grant(auditor, 'auditor');
  await grant(analyst, 'analyst');
  await grant(admin, 'admin');
  workspaceId = await api.createWorkspace(owner, 'Audited');
  otherWorkspaceId = await api.createWorkspace(owner, 'Other');
  const account = await api.http.post(`/v1/workspaces/${workspaceId}/accounts`).set(owner.auth).set('X-Correlation-Id', 'launch-42').send({ platform: 'x', handle: '@acme', externalId: 'x-1' });
  expect(account.status).toBe(201);
  for (const content of ['one', 'two', 'three']) {
    const post = await api.http.post(`/v1/workspaces/${workspaceId}/posts`).set(owner.auth).set('X-Correlation-Id', 'launch-42').send({ accountId: account.body.id, content });
    expect(post.status).toBe(201);
  }
  api.startProjectors();
  await api.projectionsCaughtUp();
});
afterAll(() => api.close());

describe('who may read the audit and replay APIs', () => {
  it('answers 401 without credentials', async () => {
    for (const path of ['/v1/audit/events', '/v1/audit/verify', '/v1/audit/head', `/v1/audit/streams/workspace-${workspaceId}`, '/v1/events']) {
      await api.refused(() => api.http.get(path), 401);
    }
  });

  it('refuses (403) members, admins and analysts on the audit routes, and auditors on replay; nothing is recorded for them', async () => {
    for (const user of [owner, admin, analyst]) {
      for (const path of ['/v1/audit/events', '/v1/audit/verify', '/v1/audit/head', `/v1/audit/streams/workspace-${workspaceId}`]) {
        await api.refused(() => api.http.get(path).set(user.auth), 403);
      }
    }
    for (const user of [owner, admin, auditor]) await api.refused(() => api.http.get('/v1/events').set(user.auth), 403);
  });

  it('lets API keys in by scope only, and only while their creator keeps the platform role', async () => {
    const auditorsWorkspace = await api.createWorkspace(auditor, 'Audit team');
    const created = await api.http.post(`/v1/workspaces/${auditorsWorkspace}/api-keys`).set(auditor.auth).send({ name: 'audit robot', scopes: ['audit:read'] });
    expect(created.status).toBe(201);
    const auditKey = { Authorization: `ApiKey ${created.body.key}` };
    const plain = await api.http.post(`/v1/workspaces/${workspaceId}/api-keys`).set(owner.auth).send({ name: 'analytics', scopes: ['analytics:read'] });
    const plainKey = { Authorization: `ApiKey ${plain.body.key}` };

    expect((await api.http.get('/v1/audit/events').set(auditKey)).status).toBe(200);
    await api.refused(() => api.http.get('/v1/events').set(auditKey), 403);
    await api.refused(() => api.http.get('/v1/audit/events').set(plainKey), 403);
    await api.refused(() => api.http.get('/v1/events').set(plainKey), 403);

    const analystsWorkspace = await api.createWorkspace(analyst, 'Data team');
    const replay = await api.http.post(`/v1/workspaces/${analystsWorkspace}/api-keys`).set(analyst.auth).send({ name: 'replayer', scopes: ['events:read'] });
    const replayKey = { Authorization: `ApiKey ${replay.body.key}` };
    expect((await api.http.get('/v1/events').query({ types: 'WorkspaceCreated' }).set(replayKey)).status).toBe(200);
    await api.refused(() => api.http.get('/v1/audit/events').set(replayKey), 403);

    await revoke(auditor, 'auditor');
    try {
      await api.refused(() => api.http.get('/v1/audit/events').set(auditKey), 403);
      await api.refused(() => api.http.get('/v1/audit/events').set(auditor.auth), 403);
    } finally {
      await grant(auditor, 'auditor');
    }
    expect((await api.http.get('/v1/audit/events').set(auditKey)).status).toBe(200);
  });
});

describe('GET /v1/audit/events', () => {
  it('lists the log oldest first with full metadata and chain links, in pages that add up to the whole', async () => {
    const everything = await api.events();
    const items = await allPages(auditor.auth, { limit: 3 });
    const positions = items.map((i) => BigInt(i.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(items.map((i) => i.position)).size).toBe(items.length);
    // the pages cover every event that was in the log before the listing began
    for (const event of everything) expect(items.some((i) => i.position === event.position.toString())).toBe(true);
    const drafted = items.find((i) => i.type === 'PostDrafted')!;
    expect(drafted).toMatchObject({
      id: expect.any(String),
      revision: '0',
      schemaVersion: expect.any(Number),
      occurredAt: expect.any(String),
      link: expect.stringMatching(/^[0-9a-f]{64}$/),
      metadata: { actor: { type: 'user', id: owner.userId }, workspaceId, correlationId: 'launch-42', causationId: expect.any(String), requestId: expect.any(String) },
    });
  });

  it('filters by type, category, stream, actor, workspace, correlation, time and position', async () => {
    const drafted = await allPages(auditor.auth, { type: 'PostDrafted' });
    expect(drafted).toHaveLength(3);
    expect((await allPages(auditor.auth, { category: 'account' })).map((i) => i.type)).toEqual(['AccountConnected']);
    const stream = drafted[1]!.streamId;
    expect((await allPages(auditor.auth, { streamId: stream })).every((i) => i.streamId === stream)).toBe(true);
    const byOwner = await allPages(auditor.auth, { actorId: owner.userId });
    expect(byOwner.length).toBeGreaterThanOrEqual(6);
    expect(byOwner.every((i) => i.metadata.actor?.id === owner.userId)).toBe(true);
    const inWorkspace = await allPages(auditor.auth, { workspaceId });
    expect(inWorkspace.every((i) => i.metadata.workspaceId === workspaceId)).toBe(true);
    const other = await allPages(auditor.auth, { workspaceId: otherWorkspaceId });
    expect(other[0]!.type).toBe('WorkspaceCreated');
    expect(other.every((i) => i.metadata.workspaceId === otherWorkspaceId)).toBe(true);
    expect((await allPages(auditor.auth, { correlationId: 'launch-42' })).map((i) => i.type).sort()).toEqual(['AccountConnected', 'PostDrafted', 'PostDrafted', 'PostDrafted']);
    const after = await allPages(auditor.auth, { type: 'PostDrafted', after: drafted[0]!.position });
    expect(after.map((i) => i.position)).toEqual(drafted.slice(1).map((i) => i.position));
    expect(await allPages(auditor.auth, { type: 'PostDrafted', to: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect(await allPages(auditor.auth, { type: 'PostDrafted', from: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(await allPages(auditor.auth, { type: 'PostDrafted', from: '2000-01-01T00:00:00Z', to: new Date(Date.now() + 60_000).toISOString() })).toHaveLength(3);
  });

  it('refuses bad filters with the field at fault (422), changing nothing', async () => {
    const bad: [Record<string, string>, string][] = [
      [{ limit: '0' }, 'limit'],
      [{ after: '-1' }, 'after'],
      [{ cursor: 'bm9wZQ' }, 'cursor'],
      [{ cursor: 'eyJhZnRlciI6IjEifQ', after: '1' }, 'cursor'],
      [{ workspaceId: 'nope' }, 'workspaceId'],
      [{ type: '1bad' }, 'type'],
      [{ category: 'Post' }, 'category'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
      [{ colour: 'blue' }, 'colour'],
    ];
    for (const [query, field] of bad) {
      const res = await api.refused(() => api.http.get('/v1/audit/events').query(query).set(auditor.auth), 422);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', field })]));
    }
  });
});

describe('GET /v1/audit/streams/{streamId}', () => {
  it("answers one stream's events in order, in pages, with their links", async () => {
    const res = await api.http.get(`/v1/audit/streams/workspace-${workspaceId}`).query({ limit: 1 }).set(auditor.auth);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ type: 'WorkspaceCreated', revision: '0', link: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    const next = await api.http.get(`/v1/audit/streams/workspace-${workspaceId}`).query({ cursor: res.body.nextCursor }).set(auditor.auth);
    expect(next.status).toBe(200);
    expect(next.body.items.map((i: Item & { revision: string }) => i.revision)[0]).toBe('1');
    expect(next.body.nextCursor).toBeNull();
  });

  it('answers 404 for a stream with no events (a read, so recorded) and 422 for a malformed stream id', async () => {
    const missing = await api.http.get('/v1/audit/streams/post-00000000-0000-0000-0000-000000000000').set(auditor.auth);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const res = await api.refused(() => api.http.get('/v1/audit/streams/NotAStream').set(auditor.auth), 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'params', field: 'streamId' })]);
  });
});

describe('GET /v1/audit/verify and /v1/audit/head', () => {
  it('verifies the chain and serves the latest signed head with its public keys', async () => {
    await api.projectionsCaughtUp();
    const verified = await api.http.get('/v1/audit/verify').set(auditor.auth);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true, checked: expect.any(Number), head: { position: expect.any(String), link: expect.any(String) } });
    expect(verified.body.checked).toBeGreaterThan(5);

    const unsigned = await api.http.get('/v1/audit/head').set(auditor.auth);
    expect(unsigned.status).toBe(404);
    expect(unsigned.body.detail).toMatch(/AUDIT_HEAD_INTERVAL_MS/);
    const signed = (await api.assembly.deps.auditHeads.signLatest())!;
    const head = await api.http.get('/v1/audit/head').set(auditor.auth);
    expect(head.status).toBe(200);
    expect(head.body).toEqual({ ...signed, keys: [expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: signed.kid })] });
  });

  it('reports the first bad position once an event was altered in the table', async () => {
    await api.projectionsCaughtUp();
    const { rows } = await api.pool.query<{ position: string }>(`select position from pl_events where type = 'PostDrafted' order by position limit 1`);
    const position = rows[0]!.position;
    await api.pool.query(`update pl_events set data = jsonb_set(data, '{content}', '"forged"') where position = $1`, [position]);
    try {
      const res = await api.http.get('/v1/audit/verify').set(auditor.auth);
      expect(res.body).toMatchObject({ ok: false, firstBadPosition: position, checked: Number(position) - 1 });
    } finally {
      await api.pool.query(`update pl_events set data = jsonb_set(data, '{content}', '"one"') where position = $1`, [position]);
    }
    expect((await api.http.get('/v1/audit/verify').set(auditor.auth)).body.ok).toBe(true);
  });
});

describe('reads of the audit and replay APIs are recorded', () => {
  it('records who read which route with which filter, visible to auditors', async () => {
    const before = (await api.events()).length;
    expect((await api.http.get('/v1/audit/events').query({ type: 'PostDrafted', limit: 2 }).set(auditor.auth)).status).toBe(200);
    const replay = await api.http.get('/v1/events').query({ categories: 'post,account', after: '0' }).set(analyst.auth);
    expect(replay.status).toBe(200);
    const recorded = (await api.events()).slice(before);
    expect(recorded.map((e) => e.type)).toEqual(['AuditLogRead', 'AuditLogRead']);
    expect(recorded[0]).toMatchObject({
      streamId: expect.stringMatching(/^auditread-/),
      data: { route: 'GET /v1/audit/events', filter: { type: 'PostDrafted', limit: '2' } },
      metadata: { actor: { type: 'user', id: auditor.userId }, requestId: expect.any(String) },
    });
    expect(recorded[1]).toMatchObject({ data: { route: 'GET /v1/events', filter: { categories: 'post,account', after: '0' } }, metadata: { actor: { id: analyst.userId } } });

    await api.projectionsCaughtUp();
    const reads = await allPages(auditor.auth, { type: 'AuditLogRead', actorId: analyst.userId });
    expect(reads.at(-1)).toMatchObject({ data: { route: 'GET /v1/events', filter: { categories: 'post,account' } }, occurredAt: expect.any(String) });
  });
});

describe('GET /v1/events (NDJSON)', () => {
  it('streams the log as one envelope a line, from a position, filtered by types and categories', async () => {
    const all = await api.http.get('/v1/events').set(analyst.auth);
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = all.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Item);
    const log = await api.events();
    // the export includes its own recorded read, appended before it started
    expect(lines.map((l) => l.position)).toEqual(log.filter((e) => e.position <= BigInt(lines.at(-1)!.position)).map((e) => e.position.toString()));
    expect(lines.at(-1)!.type).toBe('AuditLogRead');
    expect(lines[0]).toEqual({ ...lines[0], revision: '0', data: expect.any(Object), metadata: expect.any(Object) });

    const posts = await api.http.get('/v1/events').query({ types: 'PostDrafted,AccountConnected', categories: 'post' }).set(analyst.auth);
    expect(posts.text.trimEnd().split('\n').map((l) => (JSON.parse(l) as Item).type)).toEqual(['PostDrafted', 'PostDrafted', 'PostDrafted']);
    const from = lines[3]!.position;
    const rest = await api.http.get('/v1/events').query({ after: from }).set(analyst.auth);
    expect((JSON.parse(rest.text.split('\n')[0]!) as Item).position).toBe(lines[4]!.position);
  });

  it('refuses bad filters with the field at fault', async () => {
    for (const [query, field] of [
      [{ after: 'x' }, 'after'],
      [{ types: 'Post Drafted' }, 'types'],
      [{ categories: 'post,POST' }, 'categories'],
    ] as const) {
      const res = await api.refused(() => api.http.get('/v1/events').query(query).set(analyst.auth), 422);
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    }
  });
});

import { randomUUID } from 'node:crypto';
import { changePlatformRole } from '../../src/cli/users';
import { createLogger } from '../../src/platform/logger';
import { projections } from '../../src/projections';
import { postsProjection } from '../../src/projections/posts';
import { RebuildAlreadyRunning, rebuildProjection } from '../../src/projections/rebuild';
import { readModelDb } from '../../src/projections/read-models';
import { SessionLock } from '../../src/platform/session-lock';
import { connectAccount, inOneDay, postsWorkspace, published, failed, type PostsWorkspace } from '../commands/routes/posts-support';
import { startTestApi, type TestApi } from '../support/api';

let api: TestApi;
let ws: PostsWorkspace;
const logger = createLogger('silent');

const metrics = (n: number) => ({ impressions: 100 * n, reach: 80 * n, likes: 10 * n, comments: n, shares: n, saves: n, clicks: 5 * n, views: 50 * n });

/** A log with every kind of event the projections read: users, workspaces and members, accounts, posts through their lifecycle, comments, engagement, generations. */
async function mixedLog(): Promise<void> {
  ws = await postsWorkspace(api);
  const { owner, workspaceId } = ws;
  const editor = await ws.member('editor');
  const viewer = await ws.member('viewer');
  const leaving = await ws.member('contributor');
  expect((await api.http.patch(`/v1/workspaces/${workspaceId}/members/${viewer.userId}`).set(owner.auth).send({ role: 'contributor' })).status).toBe(200);
  expect((await api.http.delete(`/v1/workspaces/${workspaceId}/members/${leaving.userId}`).set(owner.auth)).status).toBe(204);
  await changePlatformRole(api.store, api.pool, { action: 'grant-role', email: editor.email, role: 'analyst' });
  expect((await api.http.patch('/v1/me').set(viewer.auth).send({ displayName: 'Vera' })).status).toBe(200);
  const second = await connectAccount(api, workspaceId, owner);
  const gone = await connectAccount(api, workspaceId, owner);
  expect((await api.http.delete(`/v1/workspaces/${workspaceId}/accounts/${gone}`).set(owner.auth)).status).toBe(204);

  const posts: string[] = [];
  for (let i = 0; i < 12; i++) posts.push((await ws.draft(i % 2 ? editor.auth : owner.auth, { accountId: i % 3 ? ws.accountId : second, content: `Post ${i} about launch`, tags: [`t${i % 4}`] })).id);
  await ws.ok(owner.auth, posts[0]!, 'edit', { content: 'Edited launch post', tags: ['edited'] });
  await ws.ok(owner.auth, posts[1]!, 'schedule', { at: inOneDay() });
  await ws.ok(owner.auth, posts[2]!, 'schedule', { at: inOneDay() });
  await ws.ok(owner.auth, posts[2]!, 'unschedule');
  for (const id of posts.slice(3, 7)) await ws.ok(owner.auth, id, 'publish');
  await ws.ok(owner.auth, posts[3]!, 'publication', published);
  await ws.ok(owner.auth, posts[4]!, 'publication', { ...published, externalId: 'x-2', url: 'https://x.com/acme/status/2' });
  await ws.ok(owner.auth, posts[5]!, 'publication', failed(false));
  await ws.ok(owner.auth, posts[8]!, 'submit');
  await ws.ok(editor.auth, posts[8]!, 'approve');
  await ws.ok(owner.auth, posts[9]!, 'delete');

  const top = await api.http.post(`${ws.path(posts[3])}/comments`).set(owner.auth).send({ body: 'Great post' });
  const reply = await api.http.post(`${ws.path(posts[3])}/comments`).set(editor.auth).send({ body: 'Thanks', parentId: top.body.id });
  await api.http.post(`${ws.path(posts[4])}/comments`).set(viewer.auth).send({ body: 'To be removed' }).then(async (c) => {
    expect((await api.http.delete(`/v1/workspaces/${workspaceId}/comments/${c.body.id}`).set(owner.auth)).status).toBe(204);
  });
  expect((await api.http.patch(`/v1/workspaces/${workspaceId}/comments/${reply.body.id}`).set(editor.auth).send({ body: 'Thanks a lot' })).status).toBe(200);

  const at = (h: number) => new Date(Date.UTC(2026, 2, 28, h, 15)).toISOString();
  const snapshots = [
    { postId: posts[3], capturedAt: at(1), metrics: metrics(1) },
    { postId: posts[3], capturedAt: at(2), metrics: metrics(3) },
    { postId: posts[3], capturedAt: at(2), metrics: metrics(3) }, // repeated
    { postId: posts[3], capturedAt: at(1), metrics: metrics(2) }, // late, older
    { postId: posts[4], capturedAt: at(5), metrics: metrics(4) },
    { postId: posts[4], capturedAt: at(30), metrics: metrics(9) },
  ];
  for (const snapshot of snapshots) expect((await api.http.post(`/v1/workspaces/${workspaceId}/engagement`).set(owner.auth).send({ snapshots: [snapshot] })).status).toBe(202);
  expect((await api.http.post(`/v1/workspaces/${workspaceId}/generations`).set(owner.auth).send({ kind: 'caption', prompt: 'A caption for launch day' })).status).toBe(202);
}

/** Every read-model table, each row as text, in a fixed order. */
async function readModels(): Promise<Record<string, string[]>> {
  const { rows } = await api.pool.query<{ t: string }>(`select tablename as t from pg_tables where schemaname = current_schema() and tablename like 'rm\\_%' order by 1`);
  const dump: Record<string, string[]> = {};
  for (const { t } of rows) dump[t] = (await api.pool.query<{ row: string }>(`select x::text as row from ${t} x order by 1`)).rows.map((r) => r.row);
  return dump;
}

const checkpoints = async () => (await api.pool.query<{ name: string; position: string }>('select name, position from pl_projection_checkpoints order by name')).rows;

// some eighty requests and every projection: give a loaded machine time
beforeAll(async () => {
  api = await startTestApi();
  api.startProjectors();
  await mixedLog();
  await api.projectionsCaughtUp(60_000);
}, 120_000);
afterAll(async () => {
  await api.close();
});

describe('projections rebuild', () => {
  it('produces the same tables, row for row, as the incremental projection, over a mixed log', async () => {
    const incremental = await readModels();
    expect(Object.keys(incremental).length).toBeGreaterThanOrEqual(10);
    for (const [table, rows] of Object.entries(incremental)) expect([table, rows.length > 0]).toEqual([table, true]);
    const before = await checkpoints();
    for (const projection of projections) {
      const result = await rebuildProjection({ db: readModelDb(api.pool), store: api.store, projection, lockConnection: api.database.connection, logger });
      expect(result.projection).toBe(projection.name);
    }
    expect(await readModels()).toEqual(incremental);
    expect(await checkpoints()).toEqual(before);
    // nothing is left beside the live schema
    const { rows } = await api.pool.query(`select nspname from pg_namespace where nspname like $1`, [`${api.database.schema}\\_\\_%`]);
    expect(rows).toEqual([]);
  }, 120_000);

  it('keeps the API answering from the old tables while it runs, and the live projector carries on across the swap', async () => {
    // enough posts that the rebuild takes a while
    const drafted = Array.from({ length: 3000 }, () => randomUUID());
    for (let i = 0; i < drafted.length; i += 500) {
      await Promise.all(
        drafted.slice(i, i + 500).map((postId) =>
          api.store.appendToStream(`post-${postId}`, [
            { id: randomUUID(), type: 'PostDrafted', schemaVersion: 2, data: { postId, workspaceId: ws.workspaceId, accountId: ws.accountId, authorId: ws.owner.userId, content: `Bulk ${postId}`, media: [], tags: ['bulk'] } },
          ]),
        ),
      );
    }
    await api.projectionsCaughtUp();
    const listed = async () => {
      const res = await api.http.get(ws.path()).query({ tag: 'bulk', limit: 1 }).set(ws.owner.auth);
      expect(res.status).toBe(200);
      return res.body.items.length as number;
    };
    expect(await listed()).toBe(1);

    let done = false;
    const rebuilding = rebuildProjection({ db: readModelDb(api.pool), store: api.store, projection: postsProjection, lockConnection: api.database.connection, logger, batchSize: 200 }).finally(() => (done = true));
    let answeredDuring = 0;
    const createdDuring: string[] = [];
    while (!done) {
      expect(await listed()).toBe(1);
      if (!done) answeredDuring += 1;
      createdDuring.push((await ws.draft(ws.owner.auth, { content: `During the rebuild ${createdDuring.length}`, tags: ['during'] })).id);
    }
    await rebuilding;
    expect(answeredDuring).toBeGreaterThan(0);

    const after = await ws.draft(ws.owner.auth, { content: 'After the rebuild', tags: ['during'] });
    await api.projectionsCaughtUp();
    const { rows } = await api.pool.query<{ post_id: string }>(`select post_id from rm_posts where 'during' = any(tags) order by created_at`);
    expect(rows.map((r) => r.post_id)).toEqual([...createdDuring, after.id]);
    expect((await api.pool.query(`select count(*)::int as n from rm_posts where 'bulk' = any(tags)`)).rows[0].n).toBe(drafted.length);
  }, 120_000);

  it('refuses to run twice at once for the same projection', async () => {
    const held = new SessionLock(api.database.connection, 'projection-rebuild:comments');
    expect(await held.tryAcquire()).toBe(true);
    try {
      const projection = projections.find((p) => p.name === 'comments')!;
      await expect(rebuildProjection({ db: readModelDb(api.pool), store: api.store, projection, lockConnection: api.database.connection, logger })).rejects.toThrow(RebuildAlreadyRunning);
    } finally {
      await held.release();
    }
  });

  it('leaves the live tables as they were when a batch cannot be applied', async () => {
    const before = await readModels();
    const broken = { ...postsProjection, apply: async () => Promise.reject(new Error('cannot apply')) };
    await expect(rebuildProjection({ db: readModelDb(api.pool), store: api.store, projection: broken, lockConnection: api.database.connection, logger })).rejects.toThrow('cannot apply');
    expect(await readModels()).toEqual(before);
    const { rows } = await api.pool.query(`select nspname from pg_namespace where nspname like $1`, [`${api.database.schema}\\_\\_%`]);
    expect(rows).toEqual([]);
  });
});

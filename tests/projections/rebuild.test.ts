import { randomUUID } from 'node:crypto';
import { verifyChain } from '../../src/audit/verify';
import { changePlatformRole } from '../../src/cli/users';
import { createLogger } from '../../src/platform/logger';
import { projections } from '../../src/projections';
import { postsProjection } from '../../src/projections/posts';
import type { EventStore } from '../../src/eventstore/port';
import type { Projection } from '../../src/projections/projection';
import { RebuildAlreadyRunning, RebuildFailed, rebuildProjection, rebuildProjections } from '../../src/projections/rebuild';
import { readModelDb } from '../../src/projections/read-models';
import { SessionLock } from '../../src/platform/session-lock';
import { connectAccount, inOneDay, postsWorkspace, published, failed, type PostsWorkspace } from '../commands/routes/posts-support';
import { startTestApi, type TestApi } from '../support/api';
import { portOnly } from '../support/port-only';

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

/** Every read-model table (and the audit chain, with `withChain`), each row as text, in a fixed order. */
async function readModels(withChain = false): Promise<Record<string, string[]>> {
  const { rows } = await api.pool.query<{ t: string }>(
    `select tablename as t from pg_tables where schemaname = current_schema() and (tablename like 'rm\\_%' or ($1 and tablename = 'pl_audit_chain')) order by 1`,
    [withChain],
  );
  const dump: Record<string, string[]> = {};
  for (const { t } of rows) dump[t] = (await api.pool.query<{ row: string }>(`select x::text as row from ${t} x order by 1`)).rows.map((r) => r.row);
  return dump;
}

const leftovers = async () => (await api.pool.query(`select nspname from pg_namespace where nspname like $1`, [`${api.database.schema}\\_\\_%`])).rows;
const rebuildAll = (list: readonly Projection[], more: { store?: EventStore; batchSize?: number } = {}) =>
  rebuildProjections({ db: readModelDb(api.pool), store: api.store, rawStore: api.rawStore, projections: list, lockConnection: api.database.connection, logger, ...more });
const named = (...names: string[]) => names.map((name) => projections.find((p) => p.name === name)!);

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
      // as the service runs them: the audit chain reads the log as stored
      const result = await rebuildProjection({ db: readModelDb(api.pool), store: projection.storedForm ? api.rawStore : api.store, projection, lockConnection: api.database.connection, logger });
      expect(result.projection).toBe(projection.name);
    }
    expect(await readModels()).toEqual(incremental);
    expect(await checkpoints()).toEqual(before);
    // nothing is left beside the live schema
    const { rows } = await api.pool.query(`select nspname from pg_namespace where nspname like $1`, [`${api.database.schema}\\_\\_%`]);
    expect(rows).toEqual([]);
  }, 120_000);

  it('rebuilds every projection from one read of the log into the same tables, audit chain included, and the same checkpoints', async () => {
    const incremental = await readModels(true);
    expect(incremental.pl_audit_chain!.length).toBeGreaterThan(0);
    const before = await checkpoints();
    const head = Number((await api.rawStore.headPosition())!);
    // small pages: many batches per projection, several projections applying side by side
    const result = await rebuildAll(projections, { batchSize: 50 });
    expect(result.projections.map((r) => r.projection)).toEqual(projections.map((p) => p.name));
    // the audit chain reads every event: the log was read once, each event applied by every projection that reads it
    expect(result.logEvents).toBe(head);
    expect(result.applied).toBe(result.projections.reduce((sum, r) => sum + r.events, 0));
    expect(result.applied).toBeGreaterThan(head);
    expect(result.projections.find((r) => r.projection === 'audit-chain')!.events).toBe(head);
    // the chain hashes the log as stored (sealed personal data), the users list reads it opened
    expect(await readModels(true)).toEqual(incremental);
    expect(await checkpoints()).toEqual(before);
    for (const r of result.projections) expect(before.find((c) => c.name === r.projection)!.position).toBe(r.position.toString());
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('reads each page twice when the reading store cannot open what the adapter returns, with the same result', async () => {
    const before = await readModels(true);
    // a reader that is neither the adapter nor a PersonalDataEventStore over it
    const wrapped = portOnly(api.store);
    const result = await rebuildAll(named('users', 'audit-chain'), { store: wrapped });
    expect(result.projections.map((r) => r.events)).toEqual([expect.any(Number), Number((await api.rawStore.headPosition())!)]);
    // the audit chain alone reads the adapter only
    await rebuildAll(named('audit-chain'));
    expect(await readModels(true)).toEqual(before);
  }, 60_000);

  /** Comments that appends a comment while its first and its second batch apply: the first is read by the catch-up before the swap, the second by the one in the swap. */
  function appendingComments(refuseSecond = false): { projection: Projection; commentIds: string[] } {
    const comments = named('comments')[0]!;
    const commentIds = [randomUUID(), randomUUID()];
    let calls = 0;
    const projection: Projection = {
      ...comments,
      async apply(trx, events) {
        if (refuseSecond && events.some((e) => e.streamId === `comment-${commentIds[1]}`)) throw new Error('refused late comment');
        const commentId = commentIds[calls++];
        if (commentId) {
          await api.store.appendToStream(`comment-${commentId}`, [
            { id: randomUUID(), type: 'CommentAdded', data: { commentId, postId: randomUUID(), workspaceId: ws.workspaceId, authorId: ws.owner.userId, body: `Added during the rebuild ${calls}` } },
          ]);
        }
        await comments.apply(trx, events);
      },
    };
    return { projection, commentIds };
  }

  it('catches up, before and in the swap, with what is appended while it runs', async () => {
    const { projection, commentIds } = appendingComments();
    // one page: the pass never reads what is appended while it applies
    const result = await rebuildAll([projection, ...named('publications')], { batchSize: 100_000 });
    const last = (await api.rawStore.headPosition())!;
    expect(result.projections[0]!.position).toBe(last);
    const bodies = await api.pool.query('select body from rm_comments where comment_id = any($1::uuid[]) order by body', [commentIds]);
    expect(bodies.rows).toEqual([{ body: 'Added during the rebuild 1' }, { body: 'Added during the rebuild 2' }]);
    await api.projectionsCaughtUp();
    expect((await checkpoints()).find((c) => c.name === 'comments')!.position).toBe(last.toString());
  }, 60_000);

  it('stops at a projection that cannot apply an event, swaps nothing, and names it', async () => {
    const before = await readModels(true);
    const beforeCheckpoints = await checkpoints();
    const broken: Projection = { ...postsProjection, apply: async () => Promise.reject(new Error('cannot apply')) };
    const failure = await rebuildAll([...named('comments', 'audit-chain'), broken], { batchSize: 100 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RebuildFailed);
    expect(failure).toMatchObject({ projection: 'posts', message: expect.stringMatching(/^rebuild of posts failed at position \d+: cannot apply$/) });
    expect(await readModels(true)).toEqual(before);
    expect(await checkpoints()).toEqual(beforeCheckpoints);
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it("stops when a projection's bulk load cannot finish, swaps nothing, and names it", async () => {
    const before = await readModels(true);
    const engagement = named('engagement')[0]!;
    const broken: Projection = {
      ...engagement,
      bulk: () => {
        const bulk = engagement.bulk!();
        return { apply: bulk.apply, finish: async () => Promise.reject(new Error('cannot finish')) };
      },
    };
    const failure = await rebuildAll([...named('comments'), broken], { batchSize: 100 }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ projection: 'engagement', message: expect.stringMatching(/^rebuild of engagement failed at position \d+: cannot finish$/) });
    expect(await readModels(true)).toEqual(before);
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('stops in the swap when an event appended meanwhile cannot be applied, and swaps nothing', async () => {
    const before = await readModels();
    const { projection, commentIds } = appendingComments(true);
    await expect(rebuildAll([projection, ...named('publications')], { batchSize: 100_000 })).rejects.toThrow(/^rebuild of comments failed at position \d+: refused late comment$/);
    await api.projectionsCaughtUp();
    // the live projector applied both to the live table; the rebuild changed nothing
    const after = await readModels();
    expect(after.rm_publications).toEqual(before.rm_publications);
    expect(after.rm_comments!.length).toBe(before.rm_comments!.length + 2);
    expect((await api.pool.query('select count(*)::int as n from rm_comments where comment_id = any($1::uuid[])', [commentIds])).rows[0].n).toBe(2);
    expect(await leftovers()).toEqual([]);
  }, 60_000);

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
    // several projections at once, the audit chain among them (its live projector waits at the swap too)
    const rebuilding = rebuildAll(named('posts', 'publications', 'audit-chain'), { batchSize: 200 }).finally(() => (done = true));
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
    expect((await api.pool.query(`select count(*)::int as n from rm_publications p join rm_posts using (post_id) where 'bulk' = any(tags)`)).rows[0].n).toBe(drafted.length);
    // the chain goes on from the rebuilt one without a gap: one row per event, positions 1…head
    const chain = (await api.pool.query<{ n: number; max: string }>('select count(*)::int as n, max(position)::text as max from pl_audit_chain')).rows[0]!;
    expect(chain).toEqual({ n: Number((await api.rawStore.headPosition())!), max: String((await api.rawStore.headPosition())!) });
    expect(await verifyChain(api.rawStore, api.pool)).toMatchObject({ ok: true, checked: chain.n });
  }, 120_000);

  it('refuses to run twice at once for the same projection', async () => {
    const held = new SessionLock(api.database.connection, 'projection-rebuild:comments');
    expect(await held.tryAcquire()).toBe(true);
    try {
      const projection = projections.find((p) => p.name === 'comments')!;
      await expect(rebuildProjection({ db: readModelDb(api.pool), store: api.store, projection, lockConnection: api.database.connection, logger })).rejects.toThrow(RebuildAlreadyRunning);
      // all or none: the locks it took before meeting the held one are let go
      await expect(rebuildAll(named('posts', 'comments'))).rejects.toThrow('a rebuild of comments is already running');
    } finally {
      await held.release();
    }
    const result = await rebuildAll(named('posts'));
    expect(result.projections.map((r) => r.projection)).toEqual(['posts']);
    await expect(rebuildAll([])).rejects.toThrow('no projection to rebuild');
    await expect(rebuildAll(named('posts', 'posts'))).rejects.toThrow('a projection is named twice');
    await expect(rebuildAll([{ ...postsProjection, name: 'Posts; drop' }])).rejects.toThrow('cannot name a schema');
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

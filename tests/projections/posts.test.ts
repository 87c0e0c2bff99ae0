import { randomUUID } from 'node:crypto';
import { postsProjection } from '../../src/projections/posts';
import { readModelDb } from '../../src/projections/read-models';
import { startTestApi, type TestApi } from '../support/api';
import { failed, inOneDay, postsWorkspace, published, type PostsWorkspace } from '../commands/routes/posts-support';
import { projectToHead, rebuild, tableRows } from '../queries/support';

let api: TestApi;
let ws: PostsWorkspace;

beforeAll(async () => {
  api = await startTestApi();
  ws = await postsWorkspace(api);
});
afterAll(async () => {
  await api.close();
});

async function row(postId: string) {
  const { rows } = await api.pool.query('select * from rm_posts where post_id = $1', [postId]);
  return rows[0];
}

describe('the posts read model', () => {
  it('follows a post from draft through edits, approval and schedule to published', async () => {
    const contributor = await ws.member('contributor');
    await ws.policy(['contributor']);
    const post = await ws.draft(contributor.auth, { tags: ['#Launch', 'Q3'], media: ['https://cdn.example.com/a.png'] });
    await projectToHead(api, postsProjection);
    const drafted = await row(post.id);
    expect(drafted).toMatchObject({
      post_id: post.id,
      workspace_id: ws.workspaceId,
      account_id: ws.accountId,
      author_id: contributor.userId,
      status: 'draft',
      media: ['https://cdn.example.com/a.png'],
      tags: ['launch', 'q3'],
      scheduled_at: null,
      published_at: null,
      external_id: null,
      url: null,
    });
    expect(drafted.created_at).toEqual(drafted.updated_at);

    await ws.ok(contributor.auth, post.id, 'edit', { content: 'Edited launch text', tags: ['news'] });
    await ws.ok(contributor.auth, post.id, 'submit');
    await projectToHead(api, postsProjection);
    expect(await row(post.id)).toMatchObject({ status: 'pending_approval', content: 'Edited launch text', tags: ['news'] });

    await ws.ok(ws.owner.auth, post.id, 'approve');
    const at = inOneDay();
    await ws.ok(contributor.auth, post.id, 'schedule', { at });
    await projectToHead(api, postsProjection);
    expect(await row(post.id)).toMatchObject({ status: 'scheduled', scheduled_at: new Date(at) });

    await ws.ok(contributor.auth, post.id, 'unschedule');
    await projectToHead(api, postsProjection);
    // unscheduled: back to approved, as the aggregate decides
    expect(await row(post.id)).toMatchObject({ status: 'approved', scheduled_at: null });

    await ws.ok(contributor.auth, post.id, 'publish');
    await ws.ok(ws.owner.auth, post.id, 'publication', published);
    await projectToHead(api, postsProjection);
    const done = await row(post.id);
    expect(done).toMatchObject({ status: 'published', external_id: published.externalId, url: published.url, published_at: expect.any(Date) });
    expect(done.created_at).toEqual(drafted.created_at);
    expect(done.updated_at.getTime()).toBeGreaterThan(drafted.updated_at.getTime());
    const [last] = await api.store.readStream(`post-${post.id}`, { direction: 'backwards', maxCount: 1 });
    expect(done.last_position).toBe(last!.position.toString());
  });

  it('records a failed attempt, its automatic retry and a rejection', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'publish');
    await ws.ok(ws.owner.auth, post.id, 'publication', failed(true));
    await projectToHead(api, postsProjection);
    expect(await row(post.id)).toMatchObject({ status: 'scheduled', scheduled_at: expect.any(Date), published_at: null });

    const contributor = await ws.member('contributor');
    const other = await ws.draft(contributor.auth);
    await ws.ok(contributor.auth, other.id, 'submit');
    await ws.ok(ws.owner.auth, other.id, 'reject', { reason: 'Off brand' });
    await projectToHead(api, postsProjection);
    expect(await row(other.id)).toMatchObject({ status: 'draft' });
  });

  it('keeps a deleted post with status deleted', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'delete');
    await projectToHead(api, postsProjection);
    expect(await row(post.id)).toMatchObject({ status: 'deleted' });
  });

  it('upcasts a version 1 draft, whose tags were one comma-separated string', async () => {
    const postId = randomUUID();
    const data = { postId, workspaceId: ws.workspaceId, accountId: ws.accountId, authorId: ws.owner.userId, content: 'Old post', media: [], tags: 'Launch, #q3,' };
    await api.store.appendToStream(`post-${postId}`, [{ id: randomUUID(), type: 'PostDrafted', schemaVersion: 1, data }]);
    await projectToHead(api, postsProjection);
    expect(await row(postId)).toMatchObject({ status: 'draft', tags: ['launch', 'q3'] });
  });

  it('finds posts by the words of their content', async () => {
    const post = await ws.draft(ws.owner.auth, { content: 'Quarterly roadmap webinar tomorrow' });
    await projectToHead(api, postsProjection);
    const { rows } = await api.pool.query(`select post_id from rm_posts where search @@ websearch_to_tsquery('simple', 'roadmap webinar')`);
    expect(rows).toEqual([{ post_id: post.id }]);
  });

  it('applies an event it already applied at most once, and ignores a post never drafted', async () => {
    const post = await ws.draft(ws.owner.auth);
    await ws.ok(ws.owner.auth, post.id, 'edit', { content: 'Once edited' });
    await projectToHead(api, postsProjection);
    const before = await row(post.id);
    const events = await api.store.readStream(`post-${post.id}`);
    const orphan = randomUUID();
    await api.store.appendToStream(`post-${orphan}`, [{ id: randomUUID(), type: 'PostSubmitted', data: { approvalsRequired: 1 } }]);
    const [stray] = await api.store.readStream(`post-${orphan}`);
    await readModelDb(api.pool)
      .transaction()
      .execute(async (trx) => {
        await postsProjection.apply(trx, events);
        await postsProjection.apply(trx, [stray!]);
        await postsProjection.apply(trx, []);
      });
    expect(await row(post.id)).toEqual(before);
    expect(await row(orphan)).toBeUndefined();
  });

  it('builds identical rows when rebuilt from scratch', async () => {
    await projectToHead(api, postsProjection);
    const before = await tableRows(api, 'rm_posts', 'post_id');
    expect(before.length).toBeGreaterThan(4);
    await rebuild(api, postsProjection, ['rm_posts']);
    expect(await tableRows(api, 'rm_posts', 'post_id')).toEqual(before);
  });
});

import { Client } from 'pg';
import { startTestApi, type TestApi } from '../support/api';
import { connectAccount, postsWorkspace, published, type PostsWorkspace } from '../commands/routes/posts-support';
import type { PostSummary } from '../../src/queries/posts';

let api: TestApi;
let ws: PostsWorkspace;
/** Posts of the fixture, by name. */
const ids: Record<string, string> = {};
let otherAccount: string;
let between: { from: string; to: string };

const pause = () => new Promise((r) => setTimeout(r, 5));

beforeAll(async () => {
  api = await startTestApi();
  api.startProjectors();
  ws = await postsWorkspace(api);
  otherAccount = await connectAccount(api, ws.workspaceId, ws.owner);
  ids.launch = (await ws.draft(ws.owner.auth, { content: 'Launch day for the new planner', tags: ['Launch', 'q3'] })).id;
  // a few milliseconds either side of the range, so that no creation time sits on a bound
  await pause();
  const from = new Date().toISOString();
  await pause();
  ids.webinar = (await ws.draft(ws.owner.auth, { content: 'Join our roadmap webinar', tags: ['#events'] })).id;
  ids.other = (await ws.draft(ws.owner.auth, { accountId: otherAccount, content: 'Launch recap on another account', tags: ['launch'] })).id;
  await pause();
  const to = new Date().toISOString();
  between = { from, to };
  await pause();
  ids.published = (await ws.draft(ws.owner.auth, { content: 'Published launch thread' })).id;
  await ws.ok(ws.owner.auth, ids.published, 'publish');
  await ws.ok(ws.owner.auth, ids.published, 'publication', published);
  ids.deleted = (await ws.draft(ws.owner.auth, { content: 'Deleted launch draft', tags: ['launch'] })).id;
  await ws.ok(ws.owner.auth, ids.deleted, 'delete');
  await api.projectionsCaughtUp();
});
afterAll(async () => {
  await api.close();
});

async function list(query: Record<string, string | number> = {}): Promise<{ items: PostSummary[]; nextCursor: string | null }> {
  const res = await api.http.get(ws.path()).query(query).set(ws.owner.auth);
  expect(res.status).toBe(200);
  return res.body;
}
const names = (items: PostSummary[]) => items.map((p) => Object.keys(ids).find((k) => ids[k] === p.id));

describe('GET /v1/workspaces/{ws}/posts', () => {
  it('lists the posts newest first, without the deleted one', async () => {
    const page = await list();
    expect(names(page.items)).toEqual(['published', 'other', 'webinar', 'launch']);
    expect(page.nextCursor).toBeNull();
    expect(page.items[0]).toEqual({
      id: ids.published,
      workspaceId: ws.workspaceId,
      accountId: ws.accountId,
      authorId: ws.owner.userId,
      status: 'published',
      content: 'Published launch thread',
      media: [],
      tags: [],
      scheduledAt: null,
      publishedAt: expect.any(String),
      externalId: published.externalId,
      url: published.url,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it.each([
    ['status', { status: 'published' }, ['published']],
    ['status draft', { status: 'draft' }, ['other', 'webinar', 'launch']],
    ['account', { accountId: '<other>' }, ['other']],
    ['tag, normalized', { tag: '#LAUNCH' }, ['other', 'launch']],
    ['full text', { q: 'roadmap' }, ['webinar']],
    ['full text, web-search syntax', { q: 'launch -recap' }, ['published', 'launch']],
    ['full text, phrase', { q: '"launch day"' }, ['launch']],
    ['date range', { from: '<from>', to: '<to>' }, ['other', 'webinar']],
    ['from only', { from: '<to>' }, ['published']],
    ['to only', { to: '<from>' }, ['launch']],
    ['tag and account', { tag: 'launch', accountId: '<main>' }, ['launch']],
    ['text, status and range', { q: 'launch', status: 'draft', from: '<from>' }, ['other']],
    ['nothing matching', { q: 'nonexistentword' }, []],
  ])('filters by %s', async (_name, query, expected) => {
    const resolved = Object.fromEntries(
      Object.entries(query).map(([k, v]) => [k, v === '<other>' ? otherAccount : v === '<main>' ? ws.accountId : v === '<from>' ? between.from : v === '<to>' ? between.to : v]),
    );
    expect(names((await list(resolved)).items)).toEqual(expected);
  });

  it('pages with an opaque cursor, and the last page has none', async () => {
    const first = await list({ limit: 3 });
    expect(names(first.items)).toEqual(['published', 'other', 'webinar']);
    expect(first.nextCursor).toMatch(/^[\w-]+$/);
    const second = await list({ limit: 3, cursor: first.nextCursor! });
    expect(names(second.items)).toEqual(['launch']);
    expect(second.nextCursor).toBeNull();
    // filters apply across pages
    const tagged = await list({ tag: 'launch', limit: 1 });
    expect(names([...tagged.items, ...(await list({ tag: 'launch', limit: 1, cursor: tagged.nextCursor! })).items])).toEqual(['other', 'launch']);
  });

  it.each([
    ['limit', { limit: '0' }],
    ['limit', { limit: '201' }],
    ['limit', { limit: 'abc' }],
    ['limit', { limit: '2.5' }],
    ['cursor', { cursor: 'not-a-cursor' }],
    ['cursor', { cursor: Buffer.from(JSON.stringify({ at: 'yesterday', id: 'x' })).toString('base64url') }],
    ['status', { status: 'archived' }],
    ['status', { status: 'deleted' }],
    ['accountId', { accountId: 'abc' }],
    ['from', { from: 'yesterday' }],
    ['to', { to: '2025-13-01T00:00:00Z' }],
    ['from', { from: '2025-06-02T00:00:00Z', to: '2025-06-01T00:00:00Z' }],
    ['tag', { tag: '#' }],
    ['q', { q: ' ' }],
  ])('refuses a bad %s with 422 naming it: %j', async (field, query) => {
    const res = await api.refused(() => api.http.get(ws.path()).query(query).set(ws.owner.auth), 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'query', field })]);
  });

  it('allows up to 200 a page', async () => {
    expect((await list({ limit: 200 })).items).toHaveLength(4);
  });
});

describe('the cached list', () => {
  it('answers a repeated page from the cache until the posts projection moves on, and then shows the new post', async () => {
    const fresh = await postsWorkspace(api);
    const first = (await fresh.draft(fresh.owner.auth, { content: 'First' })).id;
    await api.projectionsCaughtUp();
    const page = async () => ((await api.http.get(fresh.path()).query({ limit: 7 }).set(fresh.owner.auth).expect(200)).body as { items: PostSummary[] }).items.map((p) => p.id);
    const reads = jest.spyOn(Client.prototype, 'query');
    const listReads = () => reads.mock.calls.filter(([config]) => /from "rm_posts" .*order by "created_at" desc/s.test(typeof config === 'string' ? config : ((config as { text?: string }).text ?? ''))).length;
    try {
      expect(await page()).toEqual([first]);
      expect(await page()).toEqual([first]);
      expect(listReads()).toBe(1);
      const second = (await fresh.draft(fresh.owner.auth, { content: 'Second' })).id;
      await api.projectionsCaughtUp();
      expect(await page()).toEqual([second, first]);
      expect(listReads()).toBe(2);
    } finally {
      reads.mockRestore();
    }
    // a stranger asking for the same page is refused as before, cache or not
    const stranger = await postsWorkspace(api);
    expect((await api.http.get(fresh.path()).query({ limit: 7 }).set(stranger.owner.auth)).status).toBe(404);
  });
});

describe('paging while posts are added', () => {
  it('shows every post that existed at the first page exactly once', async () => {
    const fresh = await postsWorkspace(api);
    const existing: string[] = [];
    for (let i = 0; i < 17; i++) existing.push((await fresh.draft(fresh.owner.auth, { content: `Existing post ${i}` })).id);
    await api.projectionsCaughtUp();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api.http
        .get(fresh.path())
        .query({ limit: 5, ...(cursor ? { cursor } : {}) })
        .set(fresh.owner.auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((p: PostSummary) => p.id));
      cursor = res.body.nextCursor ?? undefined;
      pages++;
      // new posts arrive between pages, concurrently
      await Promise.all([0, 1, 2].map((n) => fresh.draft(fresh.owner.auth, { content: `New post ${pages}.${n}` })));
      await api.projectionsCaughtUp();
    } while (cursor !== undefined);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => existing.includes(id)).sort()).toEqual([...existing].sort());
    expect(pages).toBe(4);
  });
});

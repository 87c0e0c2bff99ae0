import { commentsProjection } from '../../src/projections/comments';
import { startTestApi, type TestApi } from '../support/api';
import { postsWorkspace, type PostsWorkspace } from '../commands/routes/posts-support';
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

const comment = async (postId: string, body: string, parentId?: string): Promise<string> => {
  const res = await api.http.post(`${ws.path(postId)}/comments`).set(ws.owner.auth).send({ body, parentId });
  expect(res.status).toBe(201);
  return res.body.id as string;
};

describe('the comments read model', () => {
  it('keeps comments and replies, their edits, and deletions without their text', async () => {
    const post = await ws.draft(ws.owner.auth);
    const top = await comment(post.id, 'Looks good');
    const reply = await comment(post.id, 'Agreed', top);
    expect((await api.http.patch(`/v1/workspaces/${ws.workspaceId}/comments/${reply}`).set(ws.owner.auth).send({ body: 'Agreed!' })).status).toBe(200);
    expect((await api.http.delete(`/v1/workspaces/${ws.workspaceId}/comments/${top}`).set(ws.owner.auth)).status).toBe(204);
    await projectToHead(api, commentsProjection);
    const { rows } = await api.pool.query('select * from rm_comments where post_id = $1 order by created_at', [post.id]);
    expect(rows).toEqual([
      expect.objectContaining({ comment_id: top, workspace_id: ws.workspaceId, author_id: ws.owner.userId, parent_id: null, body: null, deleted: true, edited_at: null }),
      expect.objectContaining({ comment_id: reply, parent_id: top, body: 'Agreed!', deleted: false, edited_at: expect.any(Date) }),
    ]);
  });

  it('builds identical rows when rebuilt from scratch', async () => {
    await projectToHead(api, commentsProjection);
    const before = await tableRows(api, 'rm_comments', 'comment_id');
    expect(before.length).toBe(2);
    await rebuild(api, commentsProjection, ['rm_comments']);
    expect(await tableRows(api, 'rm_comments', 'comment_id')).toEqual(before);
  });
});

import { randomUUID } from 'node:crypto';
import { can } from '../../../src/domain/permissions';
import { workspaceRoles } from '../../../src/domain/workspace/roles';
import { startTestApi, type TestApi, type TestUser } from '../../support/api';
import { connectAccount, deletePost, draftPost, issueApiKey, withoutAppending, workspaceWithMembers, type Workspace } from './workspace-fixtures';

let api: TestApi;
let ws: Workspace;
let other: Workspace;
let postId: string;
let otherPostId: string;

beforeAll(async () => {
  api = await startTestApi();
  [ws, other] = await Promise.all([workspaceWithMembers(api), workspaceWithMembers(api)]);
  postId = await draftPost(api, ws.id, await connectAccount(api, ws.id, ws.owner), ws.owner);
  otherPostId = await draftPost(api, other.id, await connectAccount(api, other.id, other.owner), other.owner);
});
afterAll(async () => {
  await api.close();
});

const comments = (workspaceId: string, post: string) => `/v1/workspaces/${workspaceId}/posts/${post}/comments`;
const comment = (workspaceId: string, commentId: string) => `/v1/workspaces/${workspaceId}/comments/${commentId}`;

async function addComment(author: TestUser, body: object = { body: 'Looks good' }, workspace = ws, post = postId): Promise<string> {
  const res = await api.http.post(comments(workspace.id, post)).set(author.auth).send(body);
  if (res.status !== 201) throw new Error(`comment failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

describe('POST /v1/workspaces/{ws}/posts/{postId}/comments', () => {
  it('comments on a post, with ETag, position and Location', async () => {
    const author = ws.members.contributor;
    const res = await api.http.post(comments(ws.id, postId)).set(author.auth).send({ body: '  Ship it!  ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), postId, parentId: null, authorId: author.userId, body: 'Ship it!', status: 'active' });
    expect(res.headers.etag).toBe('W/"0"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    expect(res.headers.location).toBe(comment(ws.id, res.body.id));
    const [event] = await api.store.readStream(`comment-${res.body.id}`);
    expect(event).toMatchObject({ type: 'CommentAdded', data: { postId, workspaceId: ws.id, authorId: author.userId }, metadata: { actor: { type: 'user', id: author.userId }, workspaceId: ws.id } });
  });

  it('replies to a comment of the same post', async () => {
    const parentId = await addComment(ws.owner);
    const res = await api.http.post(comments(ws.id, postId)).set(ws.members.editor.auth).send({ body: 'Agreed', parentId: parentId.toUpperCase() });
    expect(res.status).toBe(201);
    expect(res.body.parentId).toBe(parentId);
  });

  it('answers 422 for a parent that is not a live comment of this post', async () => {
    const secondPost = await draftPost(api, ws.id, await connectAccount(api, ws.id, ws.owner), ws.owner);
    const elsewhere = await addComment(ws.owner, { body: 'On another post' }, ws, secondPost);
    const deleted = await addComment(ws.owner);
    await api.http.delete(comment(ws.id, deleted)).set(ws.owner.auth).expect(204);
    for (const parentId of [elsewhere, deleted, randomUUID()]) {
      const res = await withoutAppending(api, () => api.http.post(comments(ws.id, postId)).set(ws.owner.auth).send({ body: 'Reply', parentId }));
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([expect.objectContaining({ in: 'body', field: 'parentId' })]);
    }
  });

  it.each([
    ['no fields', {}, 'body'],
    ['a blank body', { body: '   ' }, 'body'],
    ['a body of 5001 characters', { body: 'b'.repeat(5001) }, 'body'],
    ['a parent id that is not a UUID', { body: 'Reply', parentId: 'abc' }, 'parentId'],
    ['an unknown field', { body: 'Hi', mentions: [] }, 'mentions'],
  ])('answers %s with 422 naming the field and appends nothing', async (_case, body, field) => {
    const res = await withoutAppending(api, () => api.http.post(comments(ws.id, postId)).set(ws.owner.auth).send(body));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field })]));
  });

  it("answers 404 for an unknown post, a non-UUID id, another workspace's post and a deleted post", async () => {
    const doomed = await draftPost(api, ws.id, await connectAccount(api, ws.id, ws.owner), ws.owner);
    await deletePost(api, doomed, ws.owner);
    for (const path of [comments(ws.id, randomUUID()), comments(ws.id, 'nope'), comments(ws.id, otherPostId), comments(ws.id, doomed), comments(other.id, postId)]) {
      const res = await withoutAppending(api, () => api.http.post(path).set(ws.owner.auth).send({ body: 'Hello' }));
      expect(res.status).toBe(404);
    }
  });

  it('refuses an anonymous caller (401) and API keys (403; 404 for another workspace)', async () => {
    const key = await issueApiKey(api, ws.id, ws.owner, ['posts:write', 'posts:publish', 'engagement:write', 'generations:write', 'analytics:read']);
    expect((await withoutAppending(api, () => api.http.post(comments(ws.id, postId)).send({ body: 'Hi' }))).status).toBe(401);
    expect((await withoutAppending(api, () => api.http.post(comments(ws.id, postId)).set(key.auth).send({ body: 'Hi' }))).status).toBe(403);
    expect((await withoutAppending(api, () => api.http.post(comments(other.id, otherPostId)).set(key.auth).send({ body: 'Hi' }))).status).toBe(404);
  });
});

describe('PATCH and DELETE /v1/workspaces/{ws}/comments/{commentId}', () => {
  it('lets the author edit; an unchanged body appends nothing', async () => {
    const author = ws.members.contributor;
    const commentId = await addComment(author);
    const res = await api.http.patch(comment(ws.id, commentId)).set(author.auth).send({ body: 'Looks great' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: commentId, body: 'Looks great', authorId: author.userId, status: 'active' });
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['x-event-position']).toMatch(/^\d+$/);
    const same = await withoutAppending(api, () => api.http.patch(comment(ws.id, commentId)).set(author.auth).send({ body: 'Looks great' }));
    expect(same.status).toBe(200);
    expect(same.headers.etag).toBe('W/"1"');
  });

  it('deletes, records who deleted it, and then refuses changes with 409', async () => {
    const commentId = await addComment(ws.members.contributor);
    const res = await api.http.delete(comment(ws.id, commentId)).set(ws.members.editor.auth);
    expect(res.status).toBe(204);
    expect(res.headers.etag).toBe('W/"1"');
    const events = await api.store.readStream(`comment-${commentId}`);
    expect(events[1]).toMatchObject({ type: 'CommentDeleted', data: { byModerator: true }, metadata: { actor: { id: ws.members.editor.userId } } });
    for (const send of [() => api.http.patch(comment(ws.id, commentId)).set(ws.owner.auth).send({ body: 'x' }), () => api.http.delete(comment(ws.id, commentId)).set(ws.owner.auth)]) {
      const refused = await withoutAppending(api, send);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('CommentIsDeleted');
    }
  });

  it('honours If-Match: a stale revision is 412', async () => {
    const commentId = await addComment(ws.owner);
    const stale = await withoutAppending(api, () => api.http.patch(comment(ws.id, commentId)).set(ws.owner.auth).set('If-Match', 'W/"5"').send({ body: 'Edited' }));
    expect(stale.status).toBe(412);
    const fresh = await api.http.patch(comment(ws.id, commentId)).set(ws.owner.auth).set('If-Match', 'W/"0"').send({ body: 'Edited' });
    expect(fresh.status).toBe(200);
  });

  it.each([
    ['no body', {}],
    ['a blank body', { body: '' }],
    ['a body of 5001 characters', { body: 'b'.repeat(5001) }],
    ['an unknown field', { body: 'ok', pinned: true }],
  ])('answers an edit with %s with 422', async (_case, body) => {
    const commentId = await addComment(ws.owner);
    const res = await withoutAppending(api, () => api.http.patch(comment(ws.id, commentId)).set(ws.owner.auth).send(body));
    expect(res.status).toBe(422);
  });

  it("answers 404 for an unknown comment, a non-UUID id and another workspace's comment", async () => {
    const foreign = await addComment(other.owner, { body: 'Elsewhere' }, other, otherPostId);
    for (const path of [comment(ws.id, randomUUID()), comment(ws.id, 'nope'), comment(ws.id, foreign), comment(other.id, foreign)]) {
      const edit = await withoutAppending(api, () => api.http.patch(path).set(ws.owner.auth).send({ body: 'Mine now' }));
      expect(edit.status).toBe(404);
      const remove = await withoutAppending(api, () => api.http.delete(path).set(ws.owner.auth));
      expect(remove.status).toBe(404);
    }
  });

  it('refuses API keys with 403, and 404 for another workspace', async () => {
    const commentId = await addComment(ws.owner);
    const key = await issueApiKey(api, ws.id, ws.owner, ['posts:write', 'analytics:read']);
    expect((await withoutAppending(api, () => api.http.patch(comment(ws.id, commentId)).set(key.auth).send({ body: 'x' }))).status).toBe(403);
    expect((await withoutAppending(api, () => api.http.delete(comment(ws.id, commentId)).set(key.auth))).status).toBe(403);
    const foreign = await issueApiKey(api, other.id, other.owner, ['posts:write']);
    expect((await withoutAppending(api, () => api.http.delete(comment(ws.id, commentId)).set(foreign.auth))).status).toBe(404);
  });
});

describe('permissions', () => {
  it.each(workspaceRoles)('lets the role %s comment exactly when it may comment:create, else 403', async (role) => {
    const as = ws.members[role];
    const send = () => api.http.post(comments(ws.id, postId)).set(as.auth).send({ body: `From a ${role}` });
    const res = can(role, 'comment:create') ? await send() : await withoutAppending(api, send);
    expect(res.status).toBe(can(role, 'comment:create') ? 201 : 403);
  });

  it.each(workspaceRoles)("lets the role %s edit and delete others' comments exactly when it may comment:moderate, else 403", async (role) => {
    const as = ws.members[role].auth;
    const allowed = can(role, 'comment:moderate');
    const commentId = await addComment(role === 'owner' ? ws.members.admin : ws.owner);
    const requests = [
      { send: () => api.http.patch(comment(ws.id, commentId)).set(as).send({ body: `Moderated by a ${role}` }), status: 200 },
      { send: () => api.http.delete(comment(ws.id, commentId)).set(as), status: 204 },
    ];
    for (const { send, status } of requests) {
      const res = allowed ? await send() : await withoutAppending(api, send);
      expect(res.status).toBe(allowed ? status : 403);
    }
  });

  it.each(workspaceRoles.filter((role) => can(role, 'comment:create')))('lets the role %s edit and delete its own comments', async (role) => {
    const author = ws.members[role];
    const commentId = await addComment(author);
    expect((await api.http.patch(comment(ws.id, commentId)).set(author.auth).send({ body: 'Typo fixed' })).status).toBe(200);
    expect((await api.http.delete(comment(ws.id, commentId)).set(author.auth)).status).toBe(204);
    const [, , deleted] = await api.store.readStream(`comment-${commentId}`);
    expect(deleted!.data).toEqual({ byModerator: false });
  });
});

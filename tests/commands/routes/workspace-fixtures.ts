/**
 * A workspace with a member of every role, its social accounts, posts and API keys, for the
 * tests of the account, comment, engagement and API key routes.
 */
import { randomUUID } from 'node:crypto';
import type { ApiKeyScope } from '../../../src/domain/apikey/scopes';
import { postDecider } from '../../../src/domain/post';
import { workspaceRoles, type WorkspaceRole } from '../../../src/domain/workspace/roles';
import type { TestApi, TestUser } from '../../support/api';

export type Auth = { Authorization: string };

export interface Workspace {
  id: string;
  owner: TestUser;
  /** A member of each role (the owner is the creator). */
  members: Record<WorkspaceRole, TestUser>;
}

/** A new workspace with one member of every role. */
export async function workspaceWithMembers(api: TestApi): Promise<Workspace> {
  const owner = await api.register();
  const id = await api.createWorkspace(owner);
  const members = { owner } as Record<WorkspaceRole, TestUser>;
  for (const role of workspaceRoles.filter((r) => r !== 'owner')) members[role] = await api.member(id, owner, role);
  return { id, owner, members };
}

/** Creates an API key through the route; the whole key is in `auth`. */
export async function issueApiKey(api: TestApi, workspaceId: string, by: TestUser, scopes: ApiKeyScope[]): Promise<{ id: string; key: string; auth: Auth }> {
  const res = await api.http.post(`/v1/workspaces/${workspaceId}/api-keys`).set(by.auth).send({ name: `key ${scopes.join(' ')}`, scopes });
  if (res.status !== 201) throw new Error(`create API key failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { id, key } = res.body as { id: string; key: string };
  return { id, key, auth: { Authorization: `ApiKey ${key}` } };
}

/** Connects a social account through the route. */
export async function connectAccount(api: TestApi, workspaceId: string, by: TestUser): Promise<string> {
  const res = await api.http.post(`/v1/workspaces/${workspaceId}/accounts`).set(by.auth).send({ platform: 'x', handle: '@acme', externalId: randomUUID() });
  if (res.status !== 201) throw new Error(`connect account failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** Drafts a post straight through the command handler: the post routes are another group's. */
export async function draftPost(api: TestApi, workspaceId: string, accountId: string, author: TestUser): Promise<string> {
  const postId = randomUUID();
  await api.assembly.deps.commands.handle({
    streamId: `post-${postId}`,
    decider: postDecider,
    command: { type: 'DraftPost', postId, workspaceId, accountId, authorId: author.userId, authorRole: 'owner', content: 'Launch day!' },
    metadata: { actor: { type: 'user', id: author.userId }, workspaceId },
  });
  return postId;
}

/** Deletes a post straight through the command handler. */
export async function deletePost(api: TestApi, postId: string, by: TestUser): Promise<void> {
  await api.assembly.deps.commands.handle({ streamId: `post-${postId}`, decider: postDecider, command: { type: 'DeletePost', by: by.userId }, metadata: { actor: { type: 'user', id: by.userId } } });
}

/** Sends a request (one that must be refused) and checks that the log did not grow. */
export async function withoutAppending<R>(api: TestApi, send: () => Promise<R>): Promise<R> {
  const before = (await api.events()).length;
  const res = await send();
  expect((await api.events()).length).toBe(before);
  return res;
}

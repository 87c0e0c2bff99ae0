/**
 * A workspace with a connected account, and requests for its posts the way a client sends
 * them, for the tests of the post routes.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import type { ApiKeyScope } from '../../../src/domain/apikey/scopes';
import { postDecider } from '../../../src/domain/post';
import type { PostView } from '../../../src/commands/routes/posts';
import type { TestApi, TestUser } from '../../support/api';

export type Auth = { Authorization: string };

/** Every command on an existing post, by the last segment of its path (`edit` is the PATCH, `delete` the DELETE). */
export const postVerbs = ['edit', 'submit', 'approve', 'reject', 'schedule', 'unschedule', 'publish', 'publication', 'delete'] as const;
export type PostVerb = (typeof postVerbs)[number];

export const content = 'Launch day! Our new planner is live.';
export const inOneDay = () => new Date(Date.now() + 86_400_000).toISOString();
export const published = { status: 'published', externalId: 'x-1789', url: 'https://x.com/acme/status/1789' } as const;
export const failed = (retryable = true) => ({ status: 'failed', error: 'HTTP 503 from the platform', retryable }) as const;

/** Connects an X account to the workspace through the accounts route, as `as` (an owner or admin). */
export async function connectAccount(api: TestApi, workspaceId: string, as: TestUser): Promise<string> {
  const res = await api.http.post(`/v1/workspaces/${workspaceId}/accounts`).set(as.auth).send({ platform: 'x', handle: '@acme', externalId: randomUUID() });
  if (res.status !== 201) throw new Error(`connect account failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** An API key of the workspace with `scopes`: its id and its Authorization header. */
export async function apiKey(api: TestApi, workspaceId: string, createdBy: string, scopes: ApiKeyScope[]): Promise<{ id: string; auth: Auth }> {
  const id = randomUUID();
  const { key } = await api.assembly.deps.apiKeys.create({ id, workspaceId, name: `key ${scopes.join(' ')}`, scopes, createdBy });
  return { id, auth: { Authorization: `ApiKey ${key}` } };
}

/** The scheduler's tick for one post at `now` (the scheduler is another group's). */
export async function tickScheduler(api: TestApi, postId: string, now: string): Promise<void> {
  await api.assembly.deps.commands.handle({
    streamId: `post-${postId}`,
    decider: postDecider,
    command: { type: 'StartScheduledPublish', now },
    metadata: { actor: { type: 'system', id: 'scheduler' } },
  });
}

export interface PostsWorkspace {
  api: TestApi;
  owner: TestUser;
  workspaceId: string;
  accountId: string;
  /** `/v1/workspaces/<ws>/posts`, or the path of a post and one of its commands. */
  path(postId?: string, verb?: PostVerb): string;
  /** Drafts a post as `as` (expects 201) and returns its view. */
  draft(as: Auth, body?: Record<string, unknown>): Promise<PostView>;
  /** A command request on a post, not yet sent: add headers, then await it. */
  act(as: Auth, postId: string, verb: PostVerb, body?: object): Test;
  /** Sends a command and fails the test unless it answers 200 or 204. */
  ok(as: Auth, postId: string, verb: PostVerb, body?: object): Promise<PostView>;
  /** Sets the approval policy as the owner. */
  policy(requireApprovalFor: string[], approvalsRequired?: number): Promise<void>;
  member(role: string): Promise<TestUser>;
}

/** A new workspace of a new owner, with one connected account. */
export async function postsWorkspace(api: TestApi): Promise<PostsWorkspace> {
  const owner = await api.register();
  const workspaceId = await api.createWorkspace(owner);
  const accountId = await connectAccount(api, workspaceId, owner);
  const path = (postId?: string, verb?: PostVerb) => {
    const base = `/v1/workspaces/${workspaceId}/posts`;
    if (postId === undefined) return base;
    return verb === undefined || verb === 'edit' || verb === 'delete' ? `${base}/${postId}` : `${base}/${postId}/${verb}`;
  };
  const act = (as: Auth, postId: string, verb: PostVerb, body?: object): Test => {
    const url = path(postId, verb);
    if (verb === 'delete') return api.http.delete(url).set(as);
    const req = verb === 'edit' ? api.http.patch(url).set(as) : api.http.post(url).set(as);
    return body === undefined ? req : req.send(body);
  };
  return {
    api,
    owner,
    workspaceId,
    accountId,
    path,
    act,
    async draft(as, body = {}) {
      const res = await api.http.post(path()).set(as).send({ accountId, content, ...body });
      if (res.status !== 201) throw new Error(`draft failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as PostView;
    },
    async ok(as, postId, verb, body) {
      const res = await act(as, postId, verb, body);
      if (res.status !== 200 && res.status !== 204) throw new Error(`${verb} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as PostView;
    },
    async policy(requireApprovalFor, approvalsRequired = 1) {
      const res = await api.http.put(`/v1/workspaces/${workspaceId}/approval-policy`).set(owner.auth).send({ requireApprovalFor, approvalsRequired });
      if (res.status !== 200) throw new Error(`policy failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    member(role) {
      return api.member(workspaceId, owner, role);
    },
  };
}

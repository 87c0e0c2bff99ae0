/**
 * A workspace with a connected account, drafts, generation requests, and the AI service's
 * signed webhook calls, for the tests of the generation routes, the webhook and the
 * process managers.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import { accountDecider } from '../../../src/domain/account/decider';
import type { PostView } from '../../../src/commands/routes/posts';
import { WEBHOOK_SECRET, type TestApi, type TestUser } from '../../support/api';

export type Auth = { Authorization: string };

/**
 * `X-Signature` as API.md tells a sender to compute it, written out here rather than taken
 * from src so that the tests hold the implementation to the documented formula.
 */
export function sign(body: string, at: Date, secret = WEBHOOK_SECRET): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** POSTs `body` (an object is serialized once, and those bytes are signed) to the AI webhook, signed at the API's clock unless `signature` is given. */
export function callWebhook(api: TestApi, body: object | string, signature?: string | null): Test {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const req = api.http.post('/v1/webhooks/ai').set('Content-Type', 'application/json');
  const header = signature === undefined ? sign(raw, api.assembly.deps.now()) : signature;
  return (header === null ? req : req.set('X-Signature', header)).send(raw);
}

/** Completes a generation through the webhook; fails the test unless it answers 204. */
export async function completeGeneration(api: TestApi, generationId: string, output: object): Promise<void> {
  const res = await callWebhook(api, { generationId, status: 'completed', output });
  if (res.status !== 204) throw new Error(`webhook failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface GenerationsWorkspace {
  owner: TestUser;
  workspaceId: string;
  accountId: string;
  /** `/v1/workspaces/<ws>/generations`, or one generation's path, or its `apply`. */
  path(generationId?: string, apply?: 'apply'): string;
  /** Requests a generation as `as` (expects 202) and returns its id. */
  request(as: Auth, body?: Record<string, unknown>): Promise<string>;
  /** Drafts a post as `as` (expects 201). */
  draft(as: Auth, content?: string): Promise<PostView>;
  member(role: string): Promise<TestUser>;
}

/** A new workspace of a new owner, with one social account connected through the command handler. */
export async function generationsWorkspace(api: TestApi): Promise<GenerationsWorkspace> {
  const owner = await api.register();
  const workspaceId = await api.createWorkspace(owner);
  const accountId = randomUUID();
  await api.assembly.deps.commands.handle({
    streamId: `account-${accountId}`,
    decider: accountDecider,
    command: { type: 'ConnectAccount', accountId, workspaceId, platform: 'x', handle: '@acme', externalId: randomUUID(), by: owner.userId },
    metadata: { actor: { type: 'user', id: owner.userId }, workspaceId },
  });
  const path = (generationId?: string, apply?: 'apply') => {
    const base = `/v1/workspaces/${workspaceId}/generations`;
    if (generationId === undefined) return base;
    return apply ? `${base}/${generationId}/apply` : `${base}/${generationId}`;
  };
  return {
    owner,
    workspaceId,
    accountId,
    path,
    async request(as, body = {}) {
      const res = await api.http.post(path()).set(as).send({ kind: 'caption', prompt: 'A caption for our launch', ...body });
      if (res.status !== 202) throw new Error(`request failed: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { id: string }).id;
    },
    async draft(as, content = 'Launch day!') {
      const res = await api.http.post(`/v1/workspaces/${workspaceId}/posts`).set(as).send({ accountId, content });
      if (res.status !== 201) throw new Error(`draft failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as PostView;
    },
    member(role) {
      return api.member(workspaceId, owner, role);
    },
  };
}

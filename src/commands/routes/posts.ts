import type { Request, RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { actorIdOf } from '../../auth/principal';
import { accountDecider } from '../../domain/account/decider';
import type { Decider } from '../../domain/decider';
import type { Action } from '../../domain/permissions';
import { MAX_CONTENT_LENGTH, MAX_MEDIA, postDecider, type Post, type PostCommand, type PostEvent, type PostState, type PostStatus } from '../../domain/post';
import { httpUrlSchema } from '../../domain/values';
import { requiresApproval } from '../../domain/workspace/decider';
import type { WorkspaceRole } from '../../domain/workspace/roles';
import type { ApiDeps } from '../../http/api-deps';
import { ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, ifMatch, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { pathId, text } from '../../http/validation';
import type { CommandResult } from '../command-handler';
import { PermissionDenied, ResourceNotFound } from '../errors';
import { accessWorkspace, canOnlyOnOwn } from '../workspace-access';
import type { RouteGroup } from '.';

const postStatuses = ['draft', 'pending_approval', 'approved', 'scheduled', 'publishing', 'published', 'failed', 'deleted'] as const satisfies readonly PostStatus[];

/** The post as every command on it answers. Absent facts are `null`, so the shape never changes. */
export const postView = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    accountId: z.uuid(),
    /** A user id, or an API key id for a post drafted through a key. */
    authorId: z.uuid(),
    status: z.enum(postStatuses),
    content: z.string(),
    media: z.array(z.string()),
    tags: z.array(z.string()),
    approvals: z.array(z.uuid()).openapi({ description: 'Members who approved since the last submission' }),
    approvalsRequired: z.number().int(),
    approved: z.boolean().openapi({ description: 'Whether the content as it stands reached its approvals' }),
    scheduledAt: z.string().nullable(),
    scheduleTrigger: z.enum(['schedule', 'retry']).nullable().openapi({ description: '`retry` when the schedule is an automatic retry after a failed attempt' }),
    attempts: z.number().int().openapi({ description: 'Attempt number of the last publish request (0 before any)' }),
    externalId: z.string().nullable(),
    url: z.string().nullable(),
    publishedAt: z.string().nullable(),
    lastError: z.string().nullable().openapi({ description: "The last failed attempt's error, until the next attempt starts" }),
    rejectionReason: z.string().nullable().openapi({ description: 'Why the post was last rejected, until it is submitted again' }),
  })
  .openapi('Post');
export type PostView = z.infer<typeof postView>;

/** The headers of every command response on a post. */
export const commandHeaders = z.object({
  ETag: z.string().openapi({ description: 'W/"<revision>": pass it as If-Match' }),
  'X-Event-Position': z.string().openapi({ description: 'Pass it as X-Min-Position to read your write' }),
});

/** The post stream as command routes fold it: the decider's state and what only responses need. */
export interface PostRecord {
  post: PostState;
  /** The domain has no rule on it, so its state does not keep it. */
  rejectionReason: string | null;
}

/** The post decider, folding also the last rejection's reason (shown until the post is submitted again). */
export const postRecordDecider: Decider<PostCommand, PostEvent, PostRecord> = {
  initialState: () => ({ post: postDecider.initialState(), rejectionReason: null }),
  decide: (command, record) => postDecider.decide(command, record.post),
  evolve: (record, event) => ({
    post: postDecider.evolve(record.post, event),
    rejectionReason: event.type === 'PostRejected' ? event.data.reason : event.type === 'PostSubmitted' ? null : record.rejectionReason,
  }),
};

/**
 * The post view of a folded stream.
 *
 * ```ts
 * sendCommandResult(req, res, 200, postBody(result.state), result);
 * ```
 */
export function postBody(record: PostRecord): PostView {
  // a command that succeeded leaves a post behind
  const post = record.post as Post;
  const outcome = post.lastOutcome;
  const published = outcome?.status === 'published' ? outcome : undefined;
  return {
    id: post.postId,
    workspaceId: post.workspaceId,
    accountId: post.accountId,
    authorId: post.authorId,
    status: post.status,
    content: post.content,
    media: [...post.media],
    tags: [...post.tags],
    approvals: [...post.approvals],
    approvalsRequired: post.approvalsRequired,
    approved: post.approved,
    scheduledAt: post.schedule?.at ?? null,
    scheduleTrigger: post.schedule?.trigger ?? null,
    attempts: post.attempt,
    externalId: published?.externalId ?? null,
    url: published?.url ?? null,
    publishedAt: published?.publishedAt ?? null,
    lastError: outcome?.status === 'failed' ? outcome.error : null,
    rejectionReason: record.rejectionReason,
  };
}

/** Who acts on a post, in the terms the post commands ask for. */
export interface PostActor {
  /** The user's id, or the API key's. */
  id: string;
  /** The member's role. An API key acts as an editor: its scopes already decided what it may do. */
  role: WorkspaceRole;
  /** The workspace policy for this role: does a post need approval before it goes out? */
  approvalRequired: boolean;
  /** The workspace policy's approvals count, for a submission. */
  approvalsRequired: number;
}

/** The role an API key stands in for wherever the domain asks for one. */
const API_KEY_ROLE: WorkspaceRole = 'editor';

/**
 * Runs a command on the post the path names. The principal must be allowed `action` in the
 * workspace (403; a stranger or another workspace's key 404); the post must belong to the
 * workspace (another workspace's post is 404, checked before `If-Match` so a 412 reveals
 * nothing); a member allowed `action` only on their own posts must be the author (403).
 *
 * ```ts
 * const result = await handlePostCommand(deps, req, 'post:submit', (actor) => ({ type: 'SubmitPost', by: actor.id, approvalsRequired: actor.approvalsRequired }));
 * ```
 */
export async function handlePostCommand(
  deps: ApiDeps,
  req: Request,
  action: Action,
  toCommand: (actor: PostActor) => PostCommand,
): Promise<CommandResult<PostRecord, PostEvent>> {
  const principal = req.principal!;
  const workspaceId = pathId(req, 'workspaceId', 'The workspace');
  const postId = pathId(req, 'postId', 'The post');
  const expectedRevision = ifMatch(req);
  // allowed at least on one's own posts; whether this one is one's own is checked below
  const access = await accessWorkspace(deps.commands, principal, workspaceId, action, { isOwnResource: true });
  const actorId = actorIdOf(principal);
  const role = access.role ?? API_KEY_ROLE;
  const actor: PostActor = {
    id: actorId,
    role,
    approvalRequired: requiresApproval(access.workspace, role),
    approvalsRequired: access.workspace.policy.approvalsRequired,
  };
  return deps.commands.handle({
    streamId: `post-${postId}`,
    decider: postRecordDecider,
    expectedRevision,
    // checked on the state the command is decided on (before If-Match, so a 412 reveals nothing)
    command: ({ post }) => {
      if (post.status === 'none' || post.workspaceId !== workspaceId) throw new ResourceNotFound('The post');
      if (canOnlyOnOwn(access, action) && post.authorId !== actorId) throw new PermissionDenied(`A ${access.role} may ${action} only on their own posts.`);
      return toCommand(actor);
    },
    metadata: eventMetadata(req, { workspaceId }),
  });
}

/** Answers a post command with the post view, ETag and X-Event-Position. */
export function sendPost(req: Request, res: Response, status: number, result: CommandResult<PostRecord, PostEvent>): void {
  sendCommandResult(req, res, status, postBody(result.state), result);
}

/**
 * A post goes to a social account of its own workspace that is not disconnected. An unknown
 * and another workspace's account get the same 422 on `accountId`, so no account is revealed.
 * One that needs reconnecting may still get drafts: it can be reconnected before they go out.
 */
async function assertPostableAccount(deps: ApiDeps, workspaceId: string, accountId: string): Promise<void> {
  const { state } = await deps.commands.load(`account-${accountId}`, accountDecider);
  const fault = (message: string) => new ValidationFailed([{ in: 'body', field: 'accountId', message }]);
  if (state.status === 'none' || state.workspaceId !== workspaceId) throw fault('no social account with this id in the workspace');
  if (state.status === 'disconnected') throw fault('the social account is disconnected');
}

/** A path that cannot name a workspace or post is 404 before its body is looked at. */
export const postPathIds: RequestHandler = (req, _res, next) => {
  pathId(req, 'workspaceId', 'The workspace');
  if (req.params.postId !== undefined) pathId(req, 'postId', 'The post');
  next();
};

const content = text(1, MAX_CONTENT_LENGTH);
const media = z.array(httpUrlSchema).max(MAX_MEDIA);
// the domain normalizes tags (`#`, case, duplicates) and applies the exact limits
const tags = z.array(z.string().max(100)).max(100);

const createPostBody = z.strictObject({ accountId: z.uuid(), content, media: media.optional(), tags: tags.optional() }).openapi('CreatePostRequest');
const editPostBody = z.strictObject({ content: content.optional(), media: media.optional(), tags: tags.optional() }).openapi('EditPostRequest');

const postPath = '/v1/workspaces/{workspaceId}/posts/{postId}';

/** Drafting, editing and deleting posts; their lifecycle is in posts-lifecycle.ts. */
export const postRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/posts',
    summary: 'Draft a post for a connected social account of the workspace',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: createPostBody,
    responses: { 201: { description: 'The draft', schema: postView, headers: commandHeaders } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      // both reads at once; a refused access wins over a bad account, so the latter reveals nothing
      const [accessResult, accountResult] = await Promise.allSettled([
        accessWorkspace(deps.commands, principal, workspaceId, 'post:create'),
        assertPostableAccount(deps, workspaceId, body.accountId),
      ]);
      if (accessResult.status === 'rejected') throw accessResult.reason;
      if (accountResult.status === 'rejected') throw accountResult.reason;
      const access = accessResult.value;
      const postId = randomUUID();
      const result = await deps.commands.handle({
        streamId: `post-${postId}`,
        newStream: true,
        decider: postRecordDecider,
        command: {
          type: 'DraftPost',
          postId,
          workspaceId,
          accountId: body.accountId,
          authorId: actorIdOf(principal),
          authorRole: access.role ?? API_KEY_ROLE,
          content: body.content,
          media: body.media,
          tags: body.tags,
        },
        metadata: eventMetadata(req, { workspaceId }),
      });
      sendCommandResult(req, res, 201, postBody(result.state), result, `/v1/workspaces/${workspaceId}/posts/${postId}`);
    },
  });

  api.route({
    method: 'patch',
    path: postPath,
    summary: "Edit a post's content, media or tags; editing an approved post sends it back for approval where the policy says so",
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    body: editPostBody,
    responses: { 200: { description: 'The post', schema: postView, headers: commandHeaders } },
    async handler({ req, res, body }) {
      const result = await handlePostCommand(deps, req, 'post:edit', (actor) => ({
        type: 'EditPost',
        by: actor.id,
        ...body,
        approvalRequired: actor.approvalRequired,
        approvalsRequired: actor.approvalsRequired,
      }));
      sendPost(req, res, 200, result);
    },
  });

  api.route({
    method: 'delete',
    path: postPath,
    summary: 'Delete a post (not while it is being published); deleted is final',
    tag: 'posts',
    auth: 'any',
    before: [postPathIds],
    responses: { 204: { description: 'Deleted', headers: commandHeaders } },
    async handler({ req, res }) {
      const result = await handlePostCommand(deps, req, 'post:delete', (actor) => ({ type: 'DeletePost', by: actor.id }));
      sendCommandResult(req, res, 204, undefined, result);
    },
  });
};

import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../auth/principal';
import { commentDecider, type Comment, type CommentCommand, type CommentEvent, type CommentState } from '../../domain/comment';
import { can } from '../../domain/permissions';
import { postDecider } from '../../domain/post';
import type { ApiDeps } from '../../http/api-deps';
import { ValidationFailed } from '../../http/api-errors';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, ifMatch, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { pathId, text } from '../../http/validation';
import type { CommandHandler, CommandResult } from '../command-handler';
import { ResourceNotFound } from '../errors';
import { assertInWorkspace, loadInWorkspace } from '../load-in-workspace';
import { accessWorkspace } from '../workspace-access';
import type { RouteGroup } from '.';

const commentText = text(1, 5000);
const commentView = z
  .object({
    id: z.uuid(),
    postId: z.uuid(),
    parentId: z.uuid().nullable().openapi({ description: 'The comment this one replies to' }),
    authorId: z.uuid(),
    body: z.string(),
    status: z.enum(['active', 'deleted']),
  })
  .openapi('Comment');

/** The comment as commands return it. */
function commentBody(comment: Comment): z.infer<typeof commentView> {
  const { commentId, postId, authorId, body, status } = comment;
  return { id: commentId, postId, parentId: comment.parentId ?? null, authorId, body, status };
}

/** Comment on a post, edit and delete; the list is a read model. */
export const commentRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/posts/{postId}/comments',
    summary: 'Comment on a post, or reply to one of its comments',
    tag: 'comments',
    auth: 'any',
    body: z.strictObject({ body: commentText, parentId: z.uuid().transform((id) => id.toLowerCase()).optional() }),
    responses: { 201: { description: 'Added', schema: commentView } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const postId = pathId(req, 'postId', 'The post');
      await accessWorkspace(deps.commands, principal, workspaceId, 'comment:create');
      const { state: post } = await loadInWorkspace(deps.commands, `post-${postId}`, postDecider, workspaceId, 'The post');
      if (post.status === 'deleted') throw new ResourceNotFound('The post');
      if (body.parentId !== undefined) await assertReplyable(deps.commands, body.parentId, postId);
      const commentId = randomUUID();
      const metadata = eventMetadata(req, { workspaceId });
      const result = await deps.commands.handle({
        streamId: `comment-${commentId}`,
        newStream: true,
        decider: commentDecider,
        command: { type: 'AddComment', commentId, postId, workspaceId, authorId: metadata.actor!.id, ...body },
        metadata,
      });
      sendCommandResult(req, res, 201, commentBody(result.state as Comment), result, `/v1/workspaces/${workspaceId}/comments/${commentId}`);
    },
  });

  api.route({
    method: 'patch',
    path: '/v1/workspaces/{workspaceId}/comments/{commentId}',
    summary: 'Edit a comment: its author, or a member who may moderate comments',
    tag: 'comments',
    auth: 'any',
    body: z.strictObject({ body: commentText }),
    responses: { 200: { description: 'Edited', schema: commentView } },
    async handler({ req, res, body, principal }) {
      const result = await changeComment(deps, req, principal, (by, isModerator) => ({ type: 'EditComment', by, isModerator, body: body.body }));
      sendCommandResult(req, res, 200, commentBody(result.state as Comment), result);
    },
  });

  api.route({
    method: 'delete',
    path: '/v1/workspaces/{workspaceId}/comments/{commentId}',
    summary: 'Delete a comment: its author, or a member who may moderate comments',
    tag: 'comments',
    auth: 'any',
    responses: { 204: { description: 'Deleted' } },
    async handler({ req, res, principal }) {
      const result = await changeComment(deps, req, principal, (by, isModerator) => ({ type: 'DeleteComment', by, isModerator }));
      sendCommandResult(req, res, 204, undefined, result);
    },
  });
};

/** A reply's parent must be a live comment of the same post. */
async function assertReplyable(commands: CommandHandler, parentId: string, postId: string): Promise<void> {
  const parent = await commands.load(`comment-${parentId}`, commentDecider);
  if (parent.state.status !== 'active' || parent.state.postId !== postId) {
    throw new ValidationFailed([{ in: 'body', field: 'parentId', message: 'must be a comment of this post' }]);
  }
}

/**
 * Edits or deletes a comment of the path's workspace. Commenting members may try; the
 * decider lets the author through, and anyone else only when they may moderate.
 */
async function changeComment(
  deps: ApiDeps,
  req: Request,
  principal: Principal,
  command: (by: string, isModerator: boolean) => CommentCommand,
): Promise<CommandResult<CommentState, CommentEvent>> {
  const workspaceId = pathId(req, 'workspaceId', 'The workspace');
  const commentId = pathId(req, 'commentId', 'The comment');
  const access = await accessWorkspace(deps.commands, principal, workspaceId, 'comment:create');
  const metadata = eventMetadata(req, { workspaceId });
  const isModerator = access.role !== undefined && can(access.role, 'comment:moderate');
  return deps.commands.handle({
    streamId: `comment-${commentId}`,
    decider: commentDecider,
    expectedRevision: ifMatch(req),
    command: (state) => {
      assertInWorkspace(state, workspaceId, 'The comment');
      return command(metadata.actor!.id, isModerator);
    },
    metadata,
  });
}

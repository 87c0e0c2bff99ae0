import type { Decider } from '../decider';
import { hasLength } from '../values';
import type { CommentCommand } from './commands';
import { CommentAlreadyExists, CommentIsDeleted, CommentNotAuthor, CommentNotFound, InvalidCommentBody } from './errors';
import type { CommentEvent } from './events';

export interface Comment {
  status: 'active' | 'deleted';
  commentId: string;
  postId: string;
  workspaceId: string;
  authorId: string;
  body: string;
  parentId?: string;
}

export type CommentState = { status: 'none' } | Comment;

function toBody(body: string): string {
  if (!hasLength(body, 1, 5000)) throw new InvalidCommentBody();
  return body.trim();
}

function decide(command: CommentCommand, state: CommentState): CommentEvent[] {
  if (state.status === 'deleted') throw new CommentIsDeleted();
  if (command.type === 'AddComment') {
    if (state.status !== 'none') throw new CommentAlreadyExists(state.commentId);
    const { commentId, postId, workspaceId, authorId, parentId } = command;
    const data = { commentId, postId, workspaceId, authorId, body: toBody(command.body) };
    return [{ type: 'CommentAdded', data: parentId === undefined ? data : { ...data, parentId } }];
  }
  if (state.status === 'none') throw new CommentNotFound();
  const isAuthor = command.by === state.authorId;
  if (!isAuthor && !command.isModerator) throw new CommentNotAuthor();
  switch (command.type) {
    case 'EditComment': {
      const body = toBody(command.body);
      return body === state.body ? [] : [{ type: 'CommentEdited', data: { body } }];
    }
    case 'DeleteComment':
      return [{ type: 'CommentDeleted', data: { byModerator: !isAuthor } }];
  }
}

function evolve(state: CommentState, event: CommentEvent): CommentState {
  if (event.type === 'CommentAdded') return { status: 'active', ...event.data };
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'CommentEdited':
      return { ...state, body: event.data.body };
    case 'CommentDeleted':
      return { ...state, status: 'deleted' };
  }
}

/**
 * The comment aggregate: a remark on a post, optionally a reply to another comment.
 *
 * ```ts
 * commentDecider.decide({ type: 'EditComment', by: userId, isModerator: false, body: 'typo fixed' }, state);
 * ```
 */
export const commentDecider: Decider<CommentCommand, CommentEvent, CommentState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};

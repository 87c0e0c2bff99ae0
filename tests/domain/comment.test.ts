import {
  type AddComment,
  CommentAlreadyExists,
  commentDecider,
  type CommentEvent,
  commentEvents,
  CommentIsDeleted,
  CommentNotAuthor,
  CommentNotFound,
  InvalidCommentBody,
} from '../../src/domain/comment';
import { expectEveryTypeEmitted, given } from './support/given';

const add: AddComment = { type: 'AddComment', commentId: 'c-1', postId: 'post-1', workspaceId: 'ws-1', authorId: 'carl', body: ' Looks good ' };
const added: CommentEvent = { type: 'CommentAdded', data: { commentId: 'c-1', postId: 'post-1', workspaceId: 'ws-1', authorId: 'carl', body: 'Looks good' } };
const deletedByAuthor: CommentEvent = { type: 'CommentDeleted', data: { byModerator: false } };

describe('comment', () => {
  describe('adding', () => {
    it('adds a comment with a trimmed body', () => {
      const state = given(commentDecider).when(add).then([added]);
      expect(state).toMatchObject({ status: 'active', body: 'Looks good' });
    });

    it('adds a reply', () => {
      given(commentDecider)
        .when({ ...add, parentId: 'c-0' })
        .then([{ type: 'CommentAdded', data: { ...added.data, parentId: 'c-0' } }]);
    });

    it.each([
      ['blank', ' '],
      ['over 5000 characters', 'x'.repeat(5001)],
    ])('refuses a body %s', (_case, body) => {
      given(commentDecider)
        .when({ ...add, body })
        .thenThrows(InvalidCommentBody, { kind: 'invalid', field: 'body' });
    });

    it('refuses an existing comment', () => {
      given(commentDecider, [added]).when(add).thenThrows(CommentAlreadyExists, { kind: 'conflict' });
    });
  });

  describe('editing', () => {
    it('lets the author edit', () => {
      const state = given(commentDecider, [added])
        .when({ type: 'EditComment', by: 'carl', isModerator: false, body: 'Looks great' })
        .then([{ type: 'CommentEdited', data: { body: 'Looks great' } }]);
      expect(state).toMatchObject({ body: 'Looks great' });
    });

    it('lets a moderator edit', () => {
      given(commentDecider, [added])
        .when({ type: 'EditComment', by: 'adam', isModerator: true, body: '[removed link]' })
        .then([{ type: 'CommentEdited', data: { body: '[removed link]' } }]);
    });

    it('emits nothing for the same body', () => {
      given(commentDecider, [added]).when({ type: 'EditComment', by: 'carl', isModerator: false, body: 'Looks good ' }).then([]);
    });

    it('refuses anyone else', () => {
      given(commentDecider, [added])
        .when({ type: 'EditComment', by: 'vera', isModerator: false, body: 'hijacked' })
        .thenThrows(CommentNotAuthor, { kind: 'forbidden' });
    });

    it('refuses a blank body', () => {
      given(commentDecider, [added]).when({ type: 'EditComment', by: 'carl', isModerator: false, body: '' }).thenThrows(InvalidCommentBody);
    });
  });

  describe('deleting', () => {
    it('lets the author delete, and tells a moderator removal apart', () => {
      const state = given(commentDecider, [added]).when({ type: 'DeleteComment', by: 'carl', isModerator: true }).then([deletedByAuthor]);
      expect(state.status).toBe('deleted');
      given(commentDecider, [added])
        .when({ type: 'DeleteComment', by: 'adam', isModerator: true })
        .then([{ type: 'CommentDeleted', data: { byModerator: true } }]);
    });

    it('refuses anyone else', () => {
      given(commentDecider, [added]).when({ type: 'DeleteComment', by: 'vera', isModerator: false }).thenThrows(CommentNotAuthor);
    });

    it('answers CommentIsDeleted to every command on a deleted comment', () => {
      given(commentDecider, [added, deletedByAuthor]).when({ type: 'DeleteComment', by: 'carl', isModerator: false }).thenThrows(CommentIsDeleted, { kind: 'conflict' });
      given(commentDecider, [added, deletedByAuthor]).when({ type: 'EditComment', by: 'carl', isModerator: false, body: 'x' }).thenThrows(CommentIsDeleted);
      given(commentDecider, [added, deletedByAuthor]).when(add).thenThrows(CommentIsDeleted);
    });

    it('answers CommentNotFound on a missing comment', () => {
      given(commentDecider).when({ type: 'DeleteComment', by: 'carl', isModerator: false }).thenThrows(CommentNotFound, { kind: 'notFound' });
    });
  });

  it('ignores events before the comment when folding', () => {
    expect(commentDecider.evolve({ status: 'none' }, deletedByAuthor)).toEqual({ status: 'none' });
  });

  it('emits every comment event type in some test', () => {
    expectEveryTypeEmitted(Object.keys(commentEvents));
  });
});

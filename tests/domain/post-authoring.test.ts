import { ActionNotPermitted, InvalidReason } from '../../src/domain/errors';
import {
  type DraftPost,
  InvalidMediaUrl,
  InvalidPostContent,
  InvalidPostTransition,
  InvalidTag,
  MAX_CONTENT_LENGTH,
  MAX_MEDIA,
  MAX_TAGS,
  normalizeTag,
  type PostCommand,
  PostAlreadyApprovedByMember,
  PostAlreadyExists,
  PostAuthorCannotApprove,
  postDecider,
  PostIsDeleted,
  PostIsPublishing,
  PostNotDraft,
  PostNotEditable,
  PostNotFound,
  PostNotPendingApproval,
  TooManyMedia,
  TooManyTags,
} from '../../src/domain/post';
import { InvalidApprovalsRequired } from '../../src/domain/workspace';
import { expectEveryTypeEmitted, given } from './support/given';
import { approvedBy, deleted, drafted, history, LATER, NOW, scheduled, submitted } from './support/post-fixtures';

const draft: DraftPost = {
  type: 'DraftPost',
  postId: 'post-1',
  workspaceId: 'ws-1',
  accountId: 'acc-1',
  authorId: 'carl',
  authorRole: 'contributor',
  content: 'Launch day!',
  tags: ['launch'],
};
const edit = { type: 'EditPost', by: 'carl', approvalRequired: true } as const;
const approve = (by = 'eddie') => ({ type: 'ApprovePost', by, byRole: 'editor' }) as const;

describe('post authoring', () => {
  describe('drafting', () => {
    it('drafts a post with trimmed content and normalized, deduplicated tags', () => {
      const state = given(postDecider)
        .when({ ...draft, content: '  Launch day!\n', media: [' https://cdn.example.com/a.png '], tags: ['#Launch', 'launch', ' Q3 '] })
        .then([{ ...drafted, data: { ...drafted.data, media: ['https://cdn.example.com/a.png'], tags: ['launch', 'q3'] } }]);
      expect(state.status).toBe('draft');
    });

    it('defaults media and tags to none', () => {
      given(postDecider)
        .when({ ...draft, tags: undefined })
        .then([{ ...drafted, data: { ...drafted.data, tags: [] } }]);
    });

    it('accepts 30 distinct tags however often they repeat', () => {
      const tags = Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`);
      given(postDecider)
        .when({ ...draft, tags: [...tags, 'T0'] })
        .then([{ ...drafted, data: { ...drafted.data, tags } }]);
    });

    it.each([
      ['blank content', { content: ' \n ' }, InvalidPostContent, 'content'],
      ['content over 10000 characters', { content: 'x'.repeat(MAX_CONTENT_LENGTH + 1) }, InvalidPostContent, 'content'],
      ['11 media', { media: Array.from({ length: MAX_MEDIA + 1 }, (_, i) => `https://cdn.example.com/${i}.png`) }, TooManyMedia, 'media'],
      ['a media that is not http(s)', { media: ['https://cdn.example.com/a.png', 'file:///etc/passwd'] }, InvalidMediaUrl, 'media[1]'],
      ['a media URL carrying credentials', { media: ['https://user:secret@cdn.example.com/a.png'] }, InvalidMediaUrl, 'media[0]'],
      ['31 distinct tags', { tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`) }, TooManyTags, 'tags'],
      ['an empty tag', { tags: ['ok', '#'] }, InvalidTag, 'tags[1]'],
      ['a tag over 50 characters', { tags: ['t'.repeat(51)] }, InvalidTag, 'tags[0]'],
    ])('refuses %s', (_case, change, error, field) => {
      given(postDecider)
        .when({ ...draft, ...change })
        .thenThrows(error, { kind: 'invalid', field });
    });

    it('stores a tag without #, trimmed and lower-cased', () => {
      expect(normalizeTag(' #Launch ')).toBe('launch');
    });

    it('refuses a viewer', () => {
      given(postDecider)
        .when({ ...draft, authorRole: 'viewer' })
        .thenThrows(ActionNotPermitted, { kind: 'forbidden' });
    });

    it('refuses an existing post', () => {
      given(postDecider, history.draft).when(draft).thenThrows(PostAlreadyExists, { kind: 'conflict' });
    });
  });

  describe('editing', () => {
    it('records only the fields that changed', () => {
      const state = given(postDecider, history.draft)
        .when({ ...edit, content: 'Launch day!', media: ['https://cdn.example.com/b.png'], tags: ['Launch', 'news'] })
        .then([{ type: 'PostEdited', data: { changes: { media: ['https://cdn.example.com/b.png'], tags: ['launch', 'news'] } } }]);
      expect(state).toMatchObject({ status: 'draft', content: 'Launch day!', tags: ['launch', 'news'] });
      given(postDecider, history.draft)
        .when({ ...edit, content: 'Launch week!' })
        .then([{ type: 'PostEdited', data: { changes: { content: 'Launch week!' } } }]);
    });

    it('emits nothing when nothing changes', () => {
      given(postDecider, history.draft)
        .when({ ...edit, content: ' Launch day! ', media: [], tags: ['#LAUNCH'] })
        .then([]);
      given(postDecider, history.approved).when(edit).then([]);
    });

    it('clears the approvals gathered so far when a pending post is edited', () => {
      const halfApproved = [drafted, submitted(2), approvedBy('eddie', 1, 2)];
      const state = given(postDecider, halfApproved)
        .when({ ...edit, content: 'Launch week!' })
        .then([{ type: 'PostEdited', data: { changes: { content: 'Launch week!' } } }]);
      expect(state).toMatchObject({ status: 'pending_approval', approvals: [] });
      given(postDecider, [...halfApproved, { type: 'PostEdited', data: { changes: { content: 'Launch week!' } } }])
        .when(approve('eddie'))
        .then([approvedBy('eddie', 1, 2)]);
    });

    it('sends an approved post back for approval when the editor needs approval', () => {
      const state = given(postDecider, history.approved)
        .when({ ...edit, content: 'Launch week!' })
        .then([
          { type: 'PostEdited', data: { changes: { content: 'Launch week!' } } },
          { type: 'PostReturnedForApproval', data: { reason: 'edited', approvalsRequired: 1 } },
        ]);
      expect(state).toMatchObject({ status: 'pending_approval', approvals: [], approved: false });
    });

    it('drops the schedule of a scheduled post sent back for approval, naming it', () => {
      const state = given(postDecider, history.scheduled)
        .when({ ...edit, content: 'Launch week!', approvalsRequired: 2 })
        .then([
          { type: 'PostEdited', data: { changes: { content: 'Launch week!' } } },
          { type: 'PostReturnedForApproval', data: { reason: 'edited', approvalsRequired: 2, previouslyScheduledAt: LATER } },
        ]);
      expect(state).toMatchObject({ status: 'pending_approval', approvalsRequired: 2 });
      expect(state).not.toHaveProperty('schedule');
    });

    it('sends a failed post back for approval, so a retry cannot skip the review', () => {
      given(postDecider, history.failed)
        .when({ ...edit, content: 'Launch week!' })
        .then([
          { type: 'PostEdited', data: { changes: { content: 'Launch week!' } } },
          { type: 'PostReturnedForApproval', data: { reason: 'edited', approvalsRequired: 1 } },
        ]);
    });

    it('keeps the status when the editor needs no approval', () => {
      for (const [events, status] of [
        [history.approved, 'approved'],
        [history.scheduled, 'scheduled'],
        [history.failed, 'failed'],
      ] as const) {
        const state = given(postDecider, events)
          .when({ ...edit, by: 'eddie', approvalRequired: false, content: 'Launch week!' })
          .then([{ type: 'PostEdited', data: { changes: { content: 'Launch week!' } } }]);
        expect(state.status).toBe(status);
      }
    });

    it.each([
      ['publishing', history.publishing],
      ['published', history.published],
    ])('refuses a %s post', (_status, events) => {
      given(postDecider, events)
        .when({ ...edit, content: 'x' })
        .thenThrows(PostNotEditable, { kind: 'conflict' });
    });

    it('refuses bad values', () => {
      given(postDecider, history.draft)
        .when({ ...edit, content: '' })
        .thenThrows(InvalidPostContent, { field: 'content' });
      given(postDecider, history.draft)
        .when({ ...edit, content: 'x', approvalsRequired: 0 })
        .thenThrows(InvalidApprovalsRequired, { field: 'approvalsRequired' });
    });
  });

  describe('submitting', () => {
    it('submits a draft for the approvals the policy requires', () => {
      const state = given(postDecider, history.draft).when({ type: 'SubmitPost', by: 'carl', approvalsRequired: 2 }).then([submitted(2)]);
      expect(state).toMatchObject({ status: 'pending_approval', approvalsRequired: 2 });
    });

    it('refuses anything but a draft', () => {
      given(postDecider, history.pendingApproval).when({ type: 'SubmitPost', by: 'carl', approvalsRequired: 1 }).thenThrows(PostNotDraft, { kind: 'conflict' });
      given(postDecider, history.approved).when({ type: 'SubmitPost', by: 'carl', approvalsRequired: 1 }).thenThrows(InvalidPostTransition);
    });

    it('refuses an impossible approvals count', () => {
      given(postDecider, history.draft).when({ type: 'SubmitPost', by: 'carl', approvalsRequired: 11 }).thenThrows(InvalidApprovalsRequired, { kind: 'invalid' });
    });
  });

  describe('approving', () => {
    it('approves a post once it has the approvals it needs', () => {
      const state = given(postDecider, history.pendingApproval).when(approve()).then([approvedBy('eddie')]);
      expect(state).toMatchObject({ status: 'approved', approved: true, approvals: ['eddie'] });
    });

    it('stays pending until the last required approval', () => {
      const first = given(postDecider, [drafted, submitted(2)]).when(approve('eddie')).then([approvedBy('eddie', 1, 2)]);
      expect(first.status).toBe('pending_approval');
      const second = given(postDecider, [drafted, submitted(2), approvedBy('eddie', 1, 2)]).when(approve('erin')).then([approvedBy('erin', 2, 2)]);
      expect(second.status).toBe('approved');
    });

    it('refuses the author', () => {
      given(postDecider, history.pendingApproval)
        .when({ type: 'ApprovePost', by: 'carl', byRole: 'admin' })
        .thenThrows(PostAuthorCannotApprove, { kind: 'forbidden' });
    });

    it('rejects a second approval by the same member', () => {
      given(postDecider, [drafted, submitted(2), approvedBy('eddie', 1, 2)]).when(approve('eddie')).thenThrows(PostAlreadyApprovedByMember, { kind: 'conflict' });
    });

    it('refuses a role without post:approve', () => {
      given(postDecider, history.pendingApproval).when({ type: 'ApprovePost', by: 'cora', byRole: 'contributor' }).thenThrows(ActionNotPermitted);
    });

    it.each([
      ['a draft', history.draft],
      ['an approved post', history.approved],
      ['a published post', history.published],
    ])('refuses %s', (_case, events) => {
      given(postDecider, events).when(approve()).thenThrows(PostNotPendingApproval, { kind: 'conflict' });
    });
  });

  describe('rejecting', () => {
    it('returns the post to draft with the reason, clearing approvals', () => {
      const state = given(postDecider, [drafted, submitted(2), approvedBy('eddie', 1, 2)])
        .when({ type: 'RejectPost', by: 'erin', reason: ' Off-brand tone ' })
        .then([{ type: 'PostRejected', data: { by: 'erin', reason: 'Off-brand tone' } }]);
      expect(state).toMatchObject({ status: 'draft', approvals: [], approved: false });
    });

    it('refuses a blank or long reason', () => {
      given(postDecider, history.pendingApproval).when({ type: 'RejectPost', by: 'erin', reason: ' ' }).thenThrows(InvalidReason, { field: 'reason' });
      given(postDecider, history.pendingApproval).when({ type: 'RejectPost', by: 'erin', reason: 'x'.repeat(1001) }).thenThrows(InvalidReason);
    });

    it('refuses a post that is not pending approval', () => {
      given(postDecider, history.draft).when({ type: 'RejectPost', by: 'erin', reason: 'no' }).thenThrows(PostNotPendingApproval);
    });
  });

  describe('deleting', () => {
    it.each(Object.entries(history).filter(([status]) => !['publishing', 'deleted'].includes(status)))('deletes a post that is %s', (_status, events) => {
      const state = given(postDecider, events).when({ type: 'DeletePost', by: 'carl' }).then([deleted]);
      expect(state.status).toBe('deleted');
      expect(state).not.toHaveProperty('schedule');
    });

    it('refuses while publishing', () => {
      given(postDecider, history.publishing).when({ type: 'DeletePost', by: 'carl' }).thenThrows(PostIsPublishing, { kind: 'conflict' });
    });

    const everyCommand: PostCommand[] = [
      draft,
      { ...edit, content: 'x' },
      { type: 'SubmitPost', by: 'carl', approvalsRequired: 1 },
      approve(),
      { type: 'RejectPost', by: 'erin', reason: 'no' },
      { type: 'SchedulePost', by: 'carl', at: LATER, now: NOW, approvalRequired: false },
      { type: 'UnschedulePost', by: 'carl' },
      { type: 'PublishPost', by: 'carl', now: NOW, approvalRequired: false },
      { type: 'StartScheduledPublish', now: NOW },
      { type: 'RecordPublication', status: 'published', externalId: 'e', url: 'https://x.test/e', now: NOW },
      { type: 'DeletePost', by: 'carl' },
    ];

    it.each(everyCommand.map((command) => [command.type, command] as const))('answers PostIsDeleted to %s on a deleted post', (_type, command) => {
      given(postDecider, history.deleted).when(command).thenThrows(PostIsDeleted, { kind: 'conflict' });
    });

    it.each(everyCommand.slice(1).map((command) => [command.type, command] as const))('answers PostNotFound to %s on a missing post', (_type, command) => {
      given(postDecider).when(command).thenThrows(PostNotFound, { kind: 'notFound' });
    });
  });

  it('ignores events before the draft when folding', () => {
    expect(postDecider.evolve({ status: 'none' }, scheduled())).toEqual({ status: 'none' });
  });

  it('emits every authoring event type in some test', () => {
    expectEveryTypeEmitted(['PostDrafted', 'PostEdited', 'PostSubmitted', 'PostApproved', 'PostRejected', 'PostReturnedForApproval', 'PostDeleted']);
  });
});

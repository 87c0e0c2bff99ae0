import type { EventData } from '../event-schema';
import { assertCan } from '../permissions';
import { sameItems, toInstant, toReason } from '../values';
import { toApprovalsRequired } from '../workspace/policy';
import type { ApprovePost, DraftPost, EditPost, PostCommand, PublishPost, SchedulePost } from './commands';
import { toContent, toMedia, toTags } from './content';
import {
  PostAlreadyApprovedByMember,
  PostAlreadyExists,
  PostAlreadyPublished,
  PostAuthorCannotApprove,
  PostIsDeleted,
  PostIsPublishing,
  PostNotApproved,
  PostNotDraft,
  PostNotEditable,
  PostNotFound,
  PostNotPendingApproval,
  PostNotSchedulable,
  PostNotScheduled,
  ScheduleInPast,
  ScheduleTooFar,
} from './errors';
import type { PostEvent } from './events';
import { recordPublication } from './publication';
import type { Post, PostState, PostStatus } from './state';

/** Statuses in which the content may still change. */
const EDITABLE: readonly PostStatus[] = ['draft', 'pending_approval', 'approved', 'scheduled', 'failed'];
/** Past these, an edit by a member who needs approval sends the post back for approval. */
const APPROVAL_SENSITIVE: readonly PostStatus[] = ['approved', 'scheduled', 'failed'];
const MAX_SCHEDULE_YEARS = 2;

/**
 * Decides what a post command does; throws a DomainError when it breaks a rule.
 *
 * ```ts
 * decide({ type: 'SubmitPost', by: authorId, approvalsRequired: 1 }, draft); // [PostSubmitted]
 * ```
 */
export function decide(command: PostCommand, state: PostState): PostEvent[] {
  if (state.status === 'deleted') throw new PostIsDeleted();
  if (command.type === 'DraftPost') return draft(command, state);
  if (state.status === 'none') throw new PostNotFound();
  switch (command.type) {
    case 'EditPost':
      return edit(command, state);
    case 'SubmitPost':
      if (state.status !== 'draft') throw new PostNotDraft(state.status);
      return [{ type: 'PostSubmitted', data: { approvalsRequired: toApprovalsRequired(command.approvalsRequired) } }];
    case 'ApprovePost':
      return approve(command, state);
    case 'RejectPost':
      if (state.status !== 'pending_approval') throw new PostNotPendingApproval(state.status);
      return [{ type: 'PostRejected', data: { by: command.by, reason: toReason(command.reason) } }];
    case 'SchedulePost':
      return schedule(command, state);
    case 'UnschedulePost':
      if (state.schedule === undefined) throw new PostNotScheduled(state.status);
      return [{ type: 'PostUnscheduled', data: {} }];
    case 'PublishPost':
      return publish(command, state);
    case 'StartScheduledPublish': {
      const now = toInstant(command.now, 'now');
      if (state.schedule === undefined || Date.parse(state.schedule.at) > now.ms) return [];
      const { trigger } = state.schedule;
      const attempt = trigger === 'retry' ? state.attempt + 1 : 1;
      return [publishRequested(state, { attempt, requestedAt: now.iso, trigger })];
    }
    case 'RecordPublication':
      return recordPublication(command, state);
    case 'DeletePost':
      if (state.status === 'publishing') throw new PostIsPublishing();
      return [{ type: 'PostDeleted', data: {} }];
  }
}

function draft(command: DraftPost, state: PostState): PostEvent[] {
  if (state.status !== 'none') throw new PostAlreadyExists(state.postId);
  assertCan(command.authorRole, 'post:create');
  const { postId, workspaceId, accountId, authorId } = command;
  const content = toContent(command.content);
  const media = toMedia(command.media ?? []);
  const tags = toTags(command.tags ?? []);
  return [{ type: 'PostDrafted', data: { postId, workspaceId, accountId, authorId, content, media, tags } }];
}

/** Only what changed goes into PostEdited; no change, no events. */
function edit(command: EditPost, post: Post): PostEvent[] {
  if (!EDITABLE.includes(post.status)) throw new PostNotEditable(post.status);
  const changes: EventData<PostEvent, 'PostEdited'>['changes'] = {};
  if (command.content !== undefined) {
    const content = toContent(command.content);
    if (content !== post.content) changes.content = content;
  }
  if (command.media !== undefined) {
    const media = toMedia(command.media);
    if (!sameItems(media, post.media)) changes.media = media;
  }
  if (command.tags !== undefined) {
    const tags = toTags(command.tags);
    if (!sameItems(tags, post.tags)) changes.tags = tags;
  }
  const approvalsRequired = toApprovalsRequired(command.approvalsRequired ?? post.approvalsRequired);
  if (Object.keys(changes).length === 0) return [];
  const edited: PostEvent = { type: 'PostEdited', data: { changes } };
  if (!command.approvalRequired || !APPROVAL_SENSITIVE.includes(post.status)) return [edited];
  const returned: EventData<PostEvent, 'PostReturnedForApproval'> = { reason: 'edited', approvalsRequired };
  if (post.schedule) returned.previouslyScheduledAt = post.schedule.at;
  return [edited, { type: 'PostReturnedForApproval', data: returned }];
}

function approve(command: ApprovePost, post: Post): PostEvent[] {
  if (post.status !== 'pending_approval') throw new PostNotPendingApproval(post.status);
  assertCan(command.byRole, 'post:approve');
  if (command.by === post.authorId) throw new PostAuthorCannotApprove();
  if (post.approvals.includes(command.by)) throw new PostAlreadyApprovedByMember(command.by);
  const data = { by: command.by, approvals: post.approvals.length + 1, approvalsRequired: post.approvalsRequired };
  return [{ type: 'PostApproved', data }];
}

function schedule(command: SchedulePost, post: Post): PostEvent[] {
  assertMayGoOut(command, post, (status) => new PostNotSchedulable(status));
  const now = toInstant(command.now, 'now');
  const at = toInstant(command.at, 'at');
  if (at.ms <= now.ms) throw new ScheduleInPast();
  const latest = new Date(now.ms);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_SCHEDULE_YEARS);
  if (at.ms > latest.getTime()) throw new ScheduleTooFar();
  if (post.schedule?.trigger === 'schedule' && post.schedule.at === at.iso) return [];
  return [{ type: 'PostScheduled', data: { at: at.iso } }];
}

function publish(command: PublishPost, post: Post): PostEvent[] {
  // A failed post was approved (or needed no approval) when it first went out: retrying is always allowed.
  if (post.status !== 'failed') assertMayGoOut(command, post, () => new PostAlreadyPublished());
  const now = toInstant(command.now, 'now');
  return [publishRequested(post, { attempt: 1, requestedAt: now.iso, trigger: 'manual' })];
}

/**
 * Scheduling and publishing need a draft, approved or scheduled post, approved unless the
 * acting member needs no approval. `otherwise` makes the error for the remaining statuses.
 */
function assertMayGoOut(command: { approvalRequired: boolean }, post: Post, otherwise: (status: PostStatus) => Error): void {
  switch (post.status) {
    case 'publishing':
      throw new PostIsPublishing();
    case 'pending_approval':
      throw new PostNotApproved();
    case 'draft':
    case 'approved':
    case 'scheduled':
      if (command.approvalRequired && !post.approved) throw new PostNotApproved();
      return;
    default:
      throw otherwise(post.status);
  }
}

function publishRequested(post: Post, request: Pick<EventData<PostEvent, 'PostPublishRequested'>, 'attempt' | 'requestedAt' | 'trigger'>): PostEvent {
  return { type: 'PostPublishRequested', data: { ...request, accountId: post.accountId, content: post.content, media: post.media } };
}

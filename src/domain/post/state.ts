import type { PostEvent } from './events';

export type PostStatus = 'draft' | 'pending_approval' | 'approved' | 'scheduled' | 'publishing' | 'published' | 'failed' | 'deleted';

/** The outcome of the last publish attempt, kept to recognise a redelivered report. */
export type LastOutcome =
  | { status: 'published'; externalId: string; url: string; publishedAt: string }
  | { status: 'failed'; error: string; retryable: boolean; attempt: number };

export interface Post {
  status: PostStatus;
  postId: string;
  workspaceId: string;
  accountId: string;
  authorId: string;
  content: string;
  media: string[];
  tags: string[];
  /** From the last submission (1 until then). */
  approvalsRequired: number;
  /** Member ids who approved since the last submission. */
  approvals: string[];
  /** Whether the content as it stands reached its approvals. */
  approved: boolean;
  /** Present exactly while the post is `scheduled`; `retry` after a failed attempt. */
  schedule?: { at: string; trigger: 'schedule' | 'retry' };
  /** Attempt number of the last publish request (0 before any). */
  attempt: number;
  lastOutcome?: LastOutcome;
}

export type PostState = { status: 'none' } | Post;

/**
 * Applies one post event.
 *
 * ```ts
 * const state = history.reduce(evolve, initialState());
 * ```
 */
export function evolve(state: PostState, event: PostEvent): PostState {
  if (event.type === 'PostDrafted') {
    return { ...event.data, status: 'draft', approvalsRequired: 1, approvals: [], approved: false, attempt: 0 };
  }
  if (state.status === 'none') return state;
  const { schedule: _schedule, ...unscheduled } = state;
  switch (event.type) {
    case 'PostEdited':
      return { ...state, ...event.data.changes, approvals: state.status === 'pending_approval' ? [] : state.approvals };
    case 'PostSubmitted':
      return { ...state, status: 'pending_approval', approvalsRequired: event.data.approvalsRequired, approvals: [] };
    case 'PostApproved': {
      const approved = event.data.approvals >= event.data.approvalsRequired;
      return { ...state, approvals: [...state.approvals, event.data.by], approved, status: approved ? 'approved' : state.status };
    }
    case 'PostRejected':
      return { ...state, status: 'draft', approvals: [], approved: false };
    case 'PostReturnedForApproval':
      return { ...unscheduled, status: 'pending_approval', approvalsRequired: event.data.approvalsRequired, approvals: [], approved: false };
    case 'PostScheduled':
      return { ...state, status: 'scheduled', schedule: { at: event.data.at, trigger: 'schedule' } };
    case 'PostUnscheduled':
      return { ...unscheduled, status: state.approved ? 'approved' : 'draft' };
    case 'PostPublishRequested': {
      const { lastOutcome: _outcome, ...rest } = unscheduled;
      return { ...rest, status: 'publishing', attempt: event.data.attempt };
    }
    case 'PostPublished':
      return { ...state, status: 'published', lastOutcome: { status: 'published', ...event.data } };
    case 'PostPublishFailed':
      return { ...state, status: 'failed', lastOutcome: { status: 'failed', ...event.data } };
    case 'PostPublishRetryScheduled':
      return { ...state, status: 'scheduled', schedule: { at: event.data.at, trigger: 'retry' } };
    case 'PostDeleted':
      return { ...unscheduled, status: 'deleted' };
  }
}

import type { PostEvent } from '../../../src/domain/post';

type Of<Type extends PostEvent['type']> = Extract<PostEvent, { type: Type }>;

/** carl (contributor) writes; eddie and erin (editors) review; adam administers. */
export const NOW = '2025-03-01T09:00:00.000Z';
export const LATER = '2025-03-02T09:00:00.000Z';

export const drafted: Of<'PostDrafted'> = {
  type: 'PostDrafted',
  data: { postId: 'post-1', workspaceId: 'ws-1', accountId: 'acc-1', authorId: 'carl', content: 'Launch day!', media: [], tags: ['launch'] },
};

export const submitted = (approvalsRequired = 1): PostEvent => ({ type: 'PostSubmitted', data: { approvalsRequired } });

export const approvedBy = (by: string, approvals = 1, approvalsRequired = 1): PostEvent => ({
  type: 'PostApproved',
  data: { by, approvals, approvalsRequired },
});

export const scheduled = (at = LATER): PostEvent => ({ type: 'PostScheduled', data: { at } });

export const publishRequested = (attempt = 1, trigger: 'manual' | 'schedule' | 'retry' = 'manual', requestedAt = NOW): Of<'PostPublishRequested'> => ({
  type: 'PostPublishRequested',
  data: { attempt, requestedAt, trigger, accountId: 'acc-1', content: 'Launch day!', media: [] },
});

export const published: PostEvent = {
  type: 'PostPublished',
  data: { externalId: 'ext-1', url: 'https://bsky.app/post/ext-1', publishedAt: NOW },
};

export const publishFailed = (attempt = 1, retryable = true, error = 'HTTP 503'): PostEvent => ({
  type: 'PostPublishFailed',
  data: { error, retryable, attempt },
});

export const retryScheduled = (at: string): PostEvent => ({ type: 'PostPublishRetryScheduled', data: { at } });

export const deleted: PostEvent = { type: 'PostDeleted', data: {} };

/** Histories that end in each status. */
export const history = {
  draft: [drafted],
  pendingApproval: [drafted, submitted()],
  approved: [drafted, submitted(), approvedBy('eddie')],
  scheduled: [drafted, submitted(), approvedBy('eddie'), scheduled()],
  /** Scheduled straight from draft by someone who needs no approval. */
  scheduledUnapproved: [drafted, scheduled()],
  publishing: [drafted, submitted(), approvedBy('eddie'), publishRequested()],
  published: [drafted, submitted(), approvedBy('eddie'), publishRequested(), published],
  failed: [drafted, submitted(), approvedBy('eddie'), publishRequested(), publishFailed(1, false)],
  deleted: [drafted, deleted],
} satisfies Record<string, PostEvent[]>;

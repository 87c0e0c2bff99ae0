import type { WorkspaceRole } from '../workspace/roles';

/** Commands of the post aggregate (stream `post-<postId>`). Times are ISO 8601 strings with an offset. */
export type PostCommand =
  | DraftPost
  | EditPost
  | SubmitPost
  | ApprovePost
  | RejectPost
  | SchedulePost
  | UnschedulePost
  | PublishPost
  | StartScheduledPublish
  | RecordPublication
  | DeletePost;

/**
 * `approvalRequired` on the commands below is the workspace policy's answer for the acting
 * member: `requiresApproval(workspace, roleOf(workspace, by))`.
 */
export interface DraftPost {
  type: 'DraftPost';
  postId: string;
  workspaceId: string;
  accountId: string;
  authorId: string;
  /** Checked against the permission matrix (`post:create`). */
  authorRole: WorkspaceRole;
  /** 1–10000 characters; trimmed. */
  content: string;
  /** At most 10 http(s) URLs. */
  media?: string[];
  /** At most 30 tags of 1–50 characters; a leading `#` is dropped, then lower-cased and deduplicated. */
  tags?: string[];
}

/** Omitted fields stay as they are; `media` and `tags` replace the whole list. */
export interface EditPost {
  type: 'EditPost';
  by: string;
  content?: string;
  media?: string[];
  tags?: string[];
  approvalRequired: boolean;
  /** Used when the edit sends the post back for approval; defaults to the post's last requirement. */
  approvalsRequired?: number;
}

export interface SubmitPost {
  type: 'SubmitPost';
  by: string;
  /** The workspace policy's `approvalsRequired`, 1–10. */
  approvalsRequired: number;
}

export interface ApprovePost {
  type: 'ApprovePost';
  by: string;
  /** Checked against the permission matrix (`post:approve`). */
  byRole: WorkspaceRole;
}

export interface RejectPost {
  type: 'RejectPost';
  by: string;
  /** 1–1000 characters. */
  reason: string;
}

export interface SchedulePost {
  type: 'SchedulePost';
  by: string;
  /** After `now` and at most two years later. */
  at: string;
  now: string;
  approvalRequired: boolean;
}

export interface UnschedulePost {
  type: 'UnschedulePost';
  by: string;
}

/** Publish now. Also the manual retry of a failed post. */
export interface PublishPost {
  type: 'PublishPost';
  by: string;
  now: string;
  approvalRequired: boolean;
}

/** Sent by the scheduler for due posts; idempotent (nothing happens unless the post is scheduled and due). */
export interface StartScheduledPublish {
  type: 'StartScheduledPublish';
  now: string;
}

/** A publisher's report on the attempt in progress; a redelivered report changes nothing. */
export type RecordPublication = { type: 'RecordPublication'; now: string } & PublicationOutcome;

export type PublicationOutcome =
  | { status: 'published'; externalId: string; url: string }
  | { status: 'failed'; error: string; retryable: boolean };

export interface DeletePost {
  type: 'DeletePost';
  by: string;
}

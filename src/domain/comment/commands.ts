/** Commands of the comment aggregate (stream `comment-<commentId>`). */
export type CommentCommand = AddComment | EditComment | DeleteComment;

export interface AddComment {
  type: 'AddComment';
  commentId: string;
  postId: string;
  workspaceId: string;
  authorId: string;
  /** 1–5000 characters; trimmed. */
  body: string;
  /** The comment this one replies to; the handler checks it belongs to the same post. */
  parentId?: string;
}

/** Allowed to the author, or to a moderator (`can(role, 'comment:moderate')`). */
export interface EditComment {
  type: 'EditComment';
  by: string;
  isModerator: boolean;
  body: string;
}

/** Allowed to the author, or to a moderator. */
export interface DeleteComment {
  type: 'DeleteComment';
  by: string;
  isModerator: boolean;
}

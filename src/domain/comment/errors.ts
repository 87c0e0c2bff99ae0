import { DomainError } from '../errors';

export class CommentNotFound extends DomainError {
  constructor() {
    super('CommentNotFound', 'no such comment', 'notFound');
  }
}

export class CommentAlreadyExists extends DomainError {
  constructor(commentId: string) {
    super('CommentAlreadyExists', `comment ${commentId} already exists`);
  }
}

export class CommentIsDeleted extends DomainError {
  constructor() {
    super('CommentIsDeleted', 'the comment is deleted');
  }
}

export class CommentNotAuthor extends DomainError {
  constructor() {
    super('CommentNotAuthor', 'only the author or a moderator may change this comment', 'forbidden');
  }
}

export class InvalidCommentBody extends DomainError {
  constructor() {
    super('InvalidCommentBody', 'body must have 1–5000 characters', 'invalid', 'body');
  }
}

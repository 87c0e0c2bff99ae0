import { DomainError } from '../errors';

export class PostNotFound extends DomainError {
  constructor() {
    super('PostNotFound', 'no such post', 'notFound');
  }
}

export class PostAlreadyExists extends DomainError {
  constructor(postId: string) {
    super('PostAlreadyExists', `post ${postId} already exists`);
  }
}

/** Deleted is final. A conflict, not notFound, so the caller learns why; GET maps it to 404. */
export class PostIsDeleted extends DomainError {
  constructor() {
    super('PostIsDeleted', 'the post is deleted');
  }
}

/** The post's status does not allow the command. Catch this to handle every transition error at once. */
export abstract class InvalidPostTransition extends DomainError {
  constructor(code: string, message: string) {
    super(code, message, 'conflict');
  }
}

export class PostNotDraft extends InvalidPostTransition {
  constructor(status: string) {
    super('PostNotDraft', `only a draft can be submitted; the post is ${status}`);
  }
}

export class PostNotPendingApproval extends InvalidPostTransition {
  constructor(status: string) {
    super('PostNotPendingApproval', `the post is ${status}, not pending approval`);
  }
}

export class PostNotApproved extends InvalidPostTransition {
  constructor() {
    super('PostNotApproved', 'the post needs approval first');
  }
}

export class PostNotScheduled extends InvalidPostTransition {
  constructor(status: string) {
    super('PostNotScheduled', `the post is ${status}, not scheduled`);
  }
}

export class PostNotSchedulable extends InvalidPostTransition {
  constructor(status: string) {
    super('PostNotSchedulable', `a ${status} post cannot be scheduled`);
  }
}

export class PostNotEditable extends InvalidPostTransition {
  constructor(status: string) {
    super('PostNotEditable', `a ${status} post cannot be edited`);
  }
}

export class PostIsPublishing extends InvalidPostTransition {
  constructor() {
    super('PostIsPublishing', 'the post is being published; wait for the outcome');
  }
}

export class PostAlreadyPublished extends InvalidPostTransition {
  constructor() {
    super('PostAlreadyPublished', 'the post is already published');
  }
}

export class PostNotPublishing extends InvalidPostTransition {
  constructor(status: string) {
    super('PostNotPublishing', `the post is ${status}: no publication is in progress`);
  }
}

export class PostAuthorCannotApprove extends DomainError {
  constructor() {
    super('PostAuthorCannotApprove', 'the author cannot approve their own post', 'forbidden');
  }
}

export class PostAlreadyApprovedByMember extends DomainError {
  constructor(userId: string) {
    super('PostAlreadyApprovedByMember', `user ${userId} has already approved this post`);
  }
}

/** A publisher reported an outcome that differs from the one already recorded. */
export class PostPublicationAlreadyRecorded extends DomainError {
  constructor() {
    super('PostPublicationAlreadyRecorded', 'another outcome of this publication is already recorded');
  }
}

export class ScheduleInPast extends DomainError {
  constructor() {
    super('ScheduleInPast', 'at must be in the future', 'invalid', 'at');
  }
}

export class ScheduleTooFar extends DomainError {
  constructor() {
    super('ScheduleTooFar', 'at must be at most two years ahead', 'invalid', 'at');
  }
}

export class InvalidPostContent extends DomainError {
  constructor() {
    super('InvalidPostContent', 'content must have 1–10000 characters', 'invalid', 'content');
  }
}

export class TooManyMedia extends DomainError {
  constructor(count: number) {
    super('TooManyMedia', `a post has at most 10 media, not ${count}`, 'invalid', 'media');
  }
}

export class InvalidMediaUrl extends DomainError {
  constructor(index: number) {
    super('InvalidMediaUrl', 'media must be http(s) URLs', 'invalid', `media[${index}]`);
  }
}

export class TooManyTags extends DomainError {
  constructor(count: number) {
    super('TooManyTags', `a post has at most 30 tags, not ${count}`, 'invalid', 'tags');
  }
}

export class InvalidTag extends DomainError {
  constructor(index: number) {
    super('InvalidTag', 'a tag has 1–50 characters', 'invalid', `tags[${index}]`);
  }
}

export class InvalidPublicationUrl extends DomainError {
  constructor() {
    super('InvalidPublicationUrl', 'url must be an http(s) URL', 'invalid', 'url');
  }
}

export class InvalidPublicationError extends DomainError {
  constructor() {
    super('InvalidPublicationError', 'error must have 1–2000 characters', 'invalid', 'error');
  }
}

import { InvalidExternalId } from '../account/errors';
import { addMs, hasLength, isHttpUrl, toInstant } from '../values';
import type { RecordPublication } from './commands';
import { InvalidPublicationError, InvalidPublicationUrl, PostNotPublishing, PostPublicationAlreadyRecorded } from './errors';
import type { PostEvent } from './events';
import type { LastOutcome, Post } from './state';

/** Attempts per publication before a retryable failure becomes final. */
export const MAX_PUBLISH_ATTEMPTS = 5;

/**
 * How long to wait before retrying after failed attempt number `attempt`: 1 minute,
 * then 2, 4, 8… (doubling).
 *
 * ```ts
 * publishRetryDelayMs(1); // 60_000
 * publishRetryDelayMs(3); // 240_000
 * ```
 */
export function publishRetryDelayMs(attempt: number): number {
  return 60_000 * 2 ** (Math.max(1, attempt) - 1);
}

/**
 * Records a publisher's report on the attempt in progress. A report equal to the one already
 * recorded (redelivery) yields no events; a different one is PostPublicationAlreadyRecorded.
 *
 * ```ts
 * recordPublication({ type: 'RecordPublication', status: 'failed', error: 'HTTP 503', retryable: true, now }, post);
 * // [PostPublishFailed, PostPublishRetryScheduled] while attempts remain
 * ```
 */
export function recordPublication(command: RecordPublication, post: Post): PostEvent[] {
  const now = toInstant(command.now, 'now');
  checkOutcome(command);
  if (post.status !== 'publishing') {
    if (post.lastOutcome === undefined) throw new PostNotPublishing(post.status);
    if (isSameOutcome(post.lastOutcome, command)) return [];
    throw new PostPublicationAlreadyRecorded();
  }
  if (command.status === 'published') {
    return [{ type: 'PostPublished', data: { externalId: command.externalId.trim(), url: command.url.trim(), publishedAt: now.iso } }];
  }
  const failed: PostEvent = { type: 'PostPublishFailed', data: { error: command.error.trim(), retryable: command.retryable, attempt: post.attempt } };
  if (!command.retryable || post.attempt >= MAX_PUBLISH_ATTEMPTS) return [failed];
  return [failed, { type: 'PostPublishRetryScheduled', data: { at: addMs(now, publishRetryDelayMs(post.attempt)) } }];
}

function checkOutcome(command: RecordPublication): void {
  if (command.status === 'published') {
    if (!hasLength(command.externalId, 1, 200)) throw new InvalidExternalId();
    if (!isHttpUrl(command.url.trim())) throw new InvalidPublicationUrl();
  } else if (!hasLength(command.error, 1, 2000)) {
    throw new InvalidPublicationError();
  }
}

/** A published report is identified by its external id; a failure by its error and retryability. */
function isSameOutcome(recorded: LastOutcome, reported: RecordPublication): boolean {
  if (recorded.status === 'published') return reported.status === 'published' && recorded.externalId === reported.externalId.trim();
  if (reported.status === 'published') return false;
  return recorded.error === reported.error.trim() && recorded.retryable === reported.retryable;
}

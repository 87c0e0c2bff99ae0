/**
 * A publisher's report on a post's publish attempt, however it arrives: the HTTP callback
 * (POST /v1/workspaces/{ws}/posts/{id}/publication) or the Kafka topic
 * `postledger.publish-results`. Both build the same RecordPublication command from the same
 * fields, so they accept and refuse the same reports.
 */
import { postDecider, type PostEvent, type PostState, type PublicationOutcome, type RecordPublication } from '../domain/post';
import { httpUrlSchema } from '../domain/values';
import type { EventMetadata } from '../eventstore/port';
import { z } from '../http/openapi';
import { text } from '../http/validation';
import type { CommandHandler, CommandResult } from './command-handler';
import { ResourceNotFound } from './errors';

/** The fields of each kind of report, for the HTTP body and the Kafka message alike. */
export const publicationOutcomeFields = {
  published: { status: z.literal('published'), externalId: text(1, 200), url: httpUrlSchema },
  failed: { status: z.literal('failed'), error: text(1, 2000), retryable: z.boolean() },
};

/**
 * The command a report becomes.
 *
 * ```ts
 * recordPublicationCommand({ status: 'failed', error: 'HTTP 503', retryable: true }, now); // { type: 'RecordPublication', now, … }
 * ```
 */
export function recordPublicationCommand(outcome: PublicationOutcome, now: string): RecordPublication {
  return { type: 'RecordPublication', now, ...outcome };
}

/** The report names an attempt other than the one in progress: a late report of an earlier attempt, or a made-up one. */
export class PublicationAttemptMismatch extends Error {
  constructor(
    readonly reported: number,
    readonly current: number,
  ) {
    super(`the report is for attempt ${reported}, but the post's publish attempt is ${current}`);
    this.name = 'PublicationAttemptMismatch';
  }
}

export interface PublicationReportInput {
  workspaceId: string;
  postId: string;
  outcome: PublicationOutcome;
  /** The attempt the report is for, when the sender says (Kafka messages do): while the post is publishing, another one is PublicationAttemptMismatch. */
  attempt?: number;
  now: Date;
  metadata: EventMetadata;
  /** See HandleOptions.idempotencyKey: for reports that may be delivered twice. */
  idempotencyKey?: string;
}

/**
 * Records a report sent by a system (not a member, so no permission applies): the post must
 * exist in the workspace (else ResourceNotFound). The domain makes a redelivered report a
 * no-op and refuses another one for a settled attempt.
 *
 * ```ts
 * await recordPublicationReport(commands, { workspaceId, postId, attempt: 1, now: new Date(),
 *   outcome: { status: 'published', externalId: 'x-1', url: 'https://x.com/acme/status/1' }, metadata });
 * ```
 */
export async function recordPublicationReport(commands: CommandHandler, input: PublicationReportInput): Promise<CommandResult<PostState, PostEvent>> {
  const workspaceId = input.workspaceId.toLowerCase();
  return commands.handle({
    streamId: `post-${input.postId.toLowerCase()}`,
    decider: postDecider,
    command: (post) => {
      if (post.status === 'none' || post.workspaceId !== workspaceId) throw new ResourceNotFound('The post');
      // settled attempts are the domain's: a repeated report is a no-op, another one a conflict
      if (input.attempt !== undefined && post.status === 'publishing' && input.attempt !== post.attempt) throw new PublicationAttemptMismatch(input.attempt, post.attempt);
      return recordPublicationCommand(input.outcome, input.now.toISOString());
    },
    metadata: input.metadata,
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  });
}

import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { CommandHandler } from '../../commands/command-handler';
import { ResourceNotFound } from '../../commands/errors';
import { PublicationAttemptMismatch } from '../../commands/publication-reports';
import { DomainError } from '../../domain/errors';
import type { Actor, EventMetadata } from '../../eventstore/port';
import { IdempotencyConflict, InvalidInput } from '../../eventstore/errors';
import type { Logger } from '../../platform/logger';
import { type Consumer, type ConsumedMessage, type MessageBus, topics } from '../bus';
import { type DeadLetterReason, deadLetter, UnprocessableMessage } from './dead-letters';
import type { InboundMetrics } from './metrics';

/** What the command of one inbound message needs besides its payload. */
export interface InboundContext {
  /** Derived from the message (topic, key, value): the same message gives the same key, so a redelivery appends nothing. */
  idempotencyKey: string;
  /** Event metadata: the topic's system actor, the workspace, and the message as causation. */
  metadata(workspaceId: string): EventMetadata;
}

/** One inbound topic: its payload schema and the command each payload runs. */
export interface InboundTopic<Schema extends z.ZodType> {
  topic: string;
  /** The consumer group; offsets are committed per group. */
  groupId: string;
  /** Who the events are recorded as. */
  actor: Actor;
  schema: Schema;
  /** The dead-letter reason of a ResourceNotFound (`unknown-generation`, `unknown-post`). */
  notFound: DeadLetterReason;
  /** Runs the payload's command; resolves once it is stored (or changed nothing). */
  process(payload: z.output<Schema>, context: InboundContext): Promise<void>;
}

/** The consumer groups are `<prefix>.generation-results` and `<prefix>.publish-results`. */
export const DEFAULT_GROUP_PREFIX = 'postledger.inbound';

/** What a topic's command needs. */
export interface InboundTopicDeps {
  commands: CommandHandler;
  now: () => Date;
  /** Of the consumer groups (default DEFAULT_GROUP_PREFIX); tests give each run its own. */
  groupPrefix?: string;
}

export interface InboundDeps {
  bus: MessageBus;
  logger: Logger;
  metrics: InboundMetrics;
  now: () => Date;
}

/** Correlation ids a sender may pass in the `correlation-id` header: the same rule as X-Correlation-Id. */
const SANE_ID = /^[\w.:-]{1,128}$/;

/**
 * Handles one message of an inbound topic: parse, validate, run the command. A message that
 * can never be processed goes to `postledger.dlq` with its reason, and the handler resolves
 * (its offset is committed); a transient failure rejects, so the bus retries the message.
 *
 * ```ts
 * await bus.consume({ topics: [spec.topic], groupId: spec.groupId, fromBeginning: true, handle: inboundHandler(spec, deps) });
 * ```
 */
export function inboundHandler<Schema extends z.ZodType>(spec: InboundTopic<Schema>, deps: InboundDeps): (message: ConsumedMessage) => Promise<void> {
  const where = (message: ConsumedMessage) => ({ topic: message.topic, partition: message.partition, offset: message.offset, key: message.key });
  return async (message) => {
    try {
      const payload = parsePayload(spec.schema, message.value);
      await spec.process(payload, contextOf(spec, message));
      deps.metrics.processed.inc({ topic: spec.topic });
    } catch (error) {
      const failure = unprocessable(error, spec.notFound);
      if (failure === undefined) {
        deps.metrics.failures.inc({ topic: spec.topic });
        deps.logger.error({ err: error, ...where(message) }, 'inbound message failed; it will be retried');
        throw error;
      }
      await deps.bus.publish(topics.deadLetters, [deadLetter(message, failure, { consumer: spec.groupId, at: deps.now() })]);
      deps.metrics.deadLettered.inc({ topic: spec.topic, reason: failure.reason });
      deps.logger.warn({ ...where(message), reason: failure.reason, detail: failure.detail }, 'inbound message sent to the dead-letter topic');
    }
  };
}

/**
 * Starts consuming one inbound topic in its group, from the beginning when the group has no
 * committed offset (results sent before the first start are not lost).
 */
export function consumeInbound<Schema extends z.ZodType>(spec: InboundTopic<Schema>, deps: InboundDeps): Promise<Consumer> {
  return deps.bus.consume({ topics: [spec.topic], groupId: spec.groupId, fromBeginning: true, handle: inboundHandler(spec, deps) });
}

/** The payload, or UnprocessableMessage (`malformed-json`, `invalid-payload` naming each field). */
export function parsePayload<Schema extends z.ZodType>(schema: Schema, value: string): z.output<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    throw new UnprocessableMessage('malformed-json', error instanceof Error ? error.message : 'the value is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`);
  throw new UnprocessableMessage('invalid-payload', issues.join('; '));
}

/**
 * Whether an error means the message can never be processed, and why; undefined for a
 * transient failure (database down, a conflict that outlasted the retries), which is retried.
 */
export function unprocessable(error: unknown, notFound: DeadLetterReason): UnprocessableMessage | undefined {
  if (error instanceof UnprocessableMessage) return error;
  if (error instanceof ResourceNotFound) return new UnprocessableMessage(notFound, error.message);
  if (error instanceof PublicationAttemptMismatch) return new UnprocessableMessage('attempt-mismatch', error.message);
  if (error instanceof IdempotencyConflict) return new UnprocessableMessage('illegal-transition', error.message);
  // the log refuses the event the answer makes (e.g. over MAX_EVENT_BYTES): it never will accept it
  if (error instanceof InvalidInput) return new UnprocessableMessage('invalid-result', error.message);
  if (error instanceof DomainError) {
    const reason: DeadLetterReason = error.kind === 'notFound' ? notFound : error.kind === 'invalid' ? 'invalid-result' : 'illegal-transition';
    return new UnprocessableMessage(reason, `${error.code}: ${error.message}`);
  }
  return undefined;
}

function contextOf<Schema extends z.ZodType>(spec: InboundTopic<Schema>, message: ConsumedMessage): InboundContext {
  const messageId = createHash('sha256').update(`${message.topic}\n${message.key}\n${message.value}`).digest('hex');
  const given = message.headers['correlation-id'];
  const correlationId = given !== undefined && SANE_ID.test(given) ? given : messageId;
  return {
    idempotencyKey: `${message.topic}:${messageId}`,
    metadata: (workspaceId) => ({ actor: spec.actor, workspaceId, correlationId, causationId: messageId }),
  };
}

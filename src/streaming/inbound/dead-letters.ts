/**
 * Messages an inbound consumer can never process go to `postledger.dlq`, unchanged (same key,
 * value and headers) plus headers that say why and where they came from. Transient failures
 * (the database is down) are not dead-lettered: the message is retried.
 */
import type { BusMessage, ConsumedMessage } from '../bus';

/** Why a message was dead-lettered: the `dlq-reason` header. */
export const deadLetterReasons = [
  /** The value is not JSON. */
  'malformed-json',
  /** JSON that does not match the topic's payload schema (`dlq-detail` names each field). */
  'invalid-payload',
  /** No such generation, or one of another workspace. */
  'unknown-generation',
  /** No such post, or one of another workspace. */
  'unknown-post',
  /** The aggregate's state refuses it: a generation already settled otherwise, a post not publishing. */
  'illegal-transition',
  /** Valid JSON the domain refuses: an output that does not fit the generation's kind. */
  'invalid-result',
  /** A publish report for an attempt other than the one in progress. */
  'attempt-mismatch',
] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];

/** The headers a dead letter carries besides the original message's own. */
export const DEAD_LETTER_HEADERS = {
  reason: 'dlq-reason',
  /** A human-readable explanation, at most 1000 characters. */
  detail: 'dlq-detail',
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  /** The consumer group that gave up on it. */
  consumer: 'dlq-consumer',
  failedAt: 'dlq-failed-at',
} as const;

/** A message that can never be processed, with the reason it goes to the DLQ for. */
export class UnprocessableMessage extends Error {
  constructor(
    readonly reason: DeadLetterReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'UnprocessableMessage';
  }
}

const MAX_DETAIL = 1000;

/**
 * The dead letter of `message`: its key, value and headers unchanged, plus the DLQ headers.
 *
 * ```ts
 * await bus.publish(topics.deadLetters, [deadLetter(message, failure, { consumer: 'postledger-inbound', at: new Date() })]);
 * ```
 */
export function deadLetter(message: ConsumedMessage, failure: UnprocessableMessage, context: { consumer: string; at: Date }): BusMessage {
  const detail = failure.detail.length > MAX_DETAIL ? `${failure.detail.slice(0, MAX_DETAIL - 1)}…` : failure.detail;
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DEAD_LETTER_HEADERS.reason]: failure.reason,
      [DEAD_LETTER_HEADERS.detail]: detail,
      [DEAD_LETTER_HEADERS.topic]: message.topic,
      [DEAD_LETTER_HEADERS.partition]: String(message.partition),
      [DEAD_LETTER_HEADERS.offset]: message.offset,
      [DEAD_LETTER_HEADERS.consumer]: context.consumer,
      [DEAD_LETTER_HEADERS.failedAt]: context.at.toISOString(),
    },
  };
}

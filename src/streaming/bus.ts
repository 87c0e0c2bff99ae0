/**
 * The message bus: Kafka (`KAFKA_BROKERS` set) or the in-process bus (embedded default).
 * The relay publishes log envelopes through it, inbound consumers and the realtime gateway
 * read from it. Both implementations keep the same contract, and the same tests run against
 * both where they apply.
 *
 * Topic names (DESIGN.md "Kafka topics"):
 * - `postledger.<category>`: every event of that category, key = stream id;
 * - inbound: `postledger.ai.generation-results`, `postledger.publish-results`;
 * - `postledger.dlq`: messages a consumer could not process, reason in a header.
 */

/** A message as published. Header values are strings (Kafka headers are bytes; UTF-8 here). */
export interface BusMessage {
  key: string;
  /** UTF-8 JSON for every topic of Postledger. */
  value: string;
  headers: Record<string, string>;
}

/** A message as consumed: where it came from, for logs, DLQ headers and offsets. */
export interface ConsumedMessage extends BusMessage {
  topic: string;
  partition: number;
  /** Kafka offset (decimal string); the in-process bus numbers its messages per topic. */
  offset: string;
}

export interface ConsumeOptions {
  topics: readonly string[];
  /**
   * With a group, each message goes to one member of the group and the group's offset is
   * committed only after `handle` resolved (at-least-once). Without one, this consumer reads
   * every partition by itself (each realtime gateway process sees every event).
   */
  groupId?: string;
  /** Where a consumer with no committed offset starts: the beginning, or only new messages (default). */
  fromBeginning?: boolean;
  /**
   * Called once per message, in order per partition; the next message of that partition waits
   * for it. A rejection is not swallowed: the message is retried (the caller decides what is
   * unprocessable and sends it to the DLQ itself, then resolves).
   */
  handle(message: ConsumedMessage): Promise<void>;
}

export interface Consumer {
  stop(): Promise<void>;
}

export interface MessageBus {
  readonly kind: 'kafka' | 'in-process';
  /** Resolves once every message is acknowledged (Kafka: by all in-sync replicas). Order per key is kept. */
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<Consumer>;
  close(): Promise<void>;
}

export const topics = {
  ofCategory: (category: string): string => `postledger.${category}`,
  generationResults: 'postledger.ai.generation-results',
  publishResults: 'postledger.publish-results',
  deadLetters: 'postledger.dlq',
} as const;

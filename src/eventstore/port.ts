/**
 * The EventStore port: what every event-log adapter (PostgreSQL, EventStoreDB) provides.
 * The contract suite in tests/eventstore/contract.ts defines its behaviour.
 */

/** Global position in the log. Always a bigint: int8 never passes through a JS number. */
export type Position = bigint;

/** Who caused an event. */
export interface Actor {
  type: 'user' | 'apiKey' | 'system';
  id: string;
}

/** Metadata carried by every event (DESIGN.md "Events"). Adapters store it as given. */
export interface EventMetadata {
  actor?: Actor;
  workspaceId?: string;
  correlationId?: string;
  causationId?: string;
  requestId?: string;
  [key: string]: unknown;
}

/** An event as the write side proposes it. `id` is the idempotency key of the append. */
export interface NewEvent<Data = unknown> {
  id: string;
  type: string;
  schemaVersion?: number;
  data: Data;
  metadata?: EventMetadata;
  /** Defaults to the time of the append. */
  occurredAt?: Date;
}

/** An event as the log holds it: the envelope of DESIGN.md. */
export interface RecordedEvent<Data = unknown> {
  id: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  /** 0-based within the stream. */
  revision: bigint;
  /** Global order, gap-free for readers. */
  position: Position;
  occurredAt: Date;
  data: Data;
  metadata: EventMetadata;
}

/**
 * What the caller expects of the stream before the append:
 * `any`, `no_stream` (must not exist), `stream_exists`, or the exact revision of its last event.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision the next event of the stream will get (last revision + 1). */
  nextRevision: bigint;
  /** Position of the last event of this append. */
  position: Position;
}

export interface ReadStreamOptions {
  /** Inclusive. Defaults to the start (forwards) or the end (backwards). */
  fromRevision?: bigint;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

export interface ReadStreamsOptions {
  direction?: 'forwards' | 'backwards';
  /** Events per stream, at most. */
  maxCount: number;
}

export interface EventFilter {
  /** Stream categories, e.g. `post` for `post-…` streams. */
  categories?: readonly string[];
  types?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: read events whose position is after this one. Omitted: from the start. */
  after?: Position;
  maxCount?: number;
  filter?: EventFilter;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint to resume from. Omitted: from the start of the log. */
  after?: Position;
  filter?: EventFilter;
  /**
   * Called each time the subscription has read everything committed so far, with the position
   * of the last event it yielded and how far it read the log (`scannedTo`, events that do not
   * match the filter included): every position up to `scannedTo` has been looked at, so a
   * consumer that has handled what was yielded has passed it.
   */
  onCaughtUp?: (position: Position | undefined, scannedTo: Position | undefined) => void;
  /**
   * Once live, how long to let commits gather after a wake-up before reading them (default 0):
   * fewer, fuller reads for consumers that apply events in batches (projections).
   */
  coalesceMs?: number;
}

/** A catch-up-then-live subscription; `close()` (or breaking out of the loop) ends it. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Events of one stream in revision order; an unknown stream reads as empty. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Optional: the first `maxCount` events of each of several streams (from the start, or
   * from the end when backwards), in one round trip; a stream with none is absent from the
   * map. Where an adapter lacks it, callers read the streams one by one.
   */
  readStreams?(streamIds: readonly string[], options: ReadStreamsOptions): Promise<Map<string, RecordedEvent[]>>;
  /** A page of the whole log in global order, never skipping a late-committing event. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribe(options?: SubscribeOptions): Subscription;
  /** Position of the last committed event visible to readers, if any. */
  headPosition(): Promise<Position | undefined>;
  /** Throws when the backing service cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Pure translations between the port's envelope and EventStoreDB records. The adapter around
 * the gRPC client stays thin; every rule lives here and is tested without a server.
 */
import {
  ErrorType,
  jsonEvent,
  START,
  type AppendResult as EsdbAppendResult,
  type EventData,
  type JSONType,
  type ReadPosition,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { InvalidInput } from '../errors';
import type { PreparedEvent } from '../event-validation';
import type { EventFilter, EventMetadata, Position, RecordedEvent } from '../port';
import { isValidStreamId } from '../stream-name';

/**
 * Client v6 knows only `esdb://` and `esdb+discover://`; the `kurrentdb` schemes newer tools
 * print (and the configuration accepts) name the same format.
 *
 * ```ts
 * clientConnectionString('kurrentdb://localhost:2113?tls=false'); // 'esdb://localhost:2113?tls=false'
 * ```
 */
export function clientConnectionString(connectionString: string): string {
  return connectionString.replace(/^kurrentdb(\+discover)?:\/\//i, (_, discover: string | undefined) => `esdb${discover ?? ''}://`);
}

/** Envelope fields EventStoreDB has no slot for travel in the event's metadata under these keys. */
const SCHEMA_VERSION = '$schemaVersion';
const OCCURRED_AT = '$occurredAt';
/** Caller keys that would collide with ours get one more `$` on write and lose it on read. */
const RESERVED = /^\$+(?:schemaVersion|occurredAt)$/;

/**
 * The caller's metadata plus the envelope fields, as stored in EventStoreDB.
 *
 * ```ts
 * encodeMetadata({ ...prepared, schemaVersion: 2, metadata: '{"requestId":"r"}' });
 * // { requestId: 'r', $schemaVersion: 2 }
 * ```
 * `$occurredAt` is written only when the caller gave a time; otherwise the server's own
 * `created` stamp is the time of the append.
 */
export function encodeMetadata(event: PreparedEvent): Record<string, unknown> {
  const caller = JSON.parse(event.metadata) as Record<string, unknown>;
  const entries: Array<[string, unknown]> = Object.entries(caller).map(([key, value]) => [RESERVED.test(key) ? `$${key}` : key, value]);
  entries.push([SCHEMA_VERSION, event.schemaVersion]);
  if (event.occurredAt) entries.push([OCCURRED_AT, event.occurredAt.toISOString()]);
  // fromEntries, not assignment: a caller's `__proto__` key stays a plain key
  return Object.fromEntries(entries);
}

export interface DecodedMetadata {
  schemaVersion: number;
  occurredAt: Date | undefined;
  metadata: EventMetadata;
}

/** Splits stored metadata back into the envelope fields and the caller's metadata. */
export function decodeMetadata(stored: unknown): DecodedMetadata {
  const decoded: DecodedMetadata = { schemaVersion: 1, occurredAt: undefined, metadata: {} };
  if (!isPlainObject(stored)) return decoded;
  const entries: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(stored)) {
    if (key === SCHEMA_VERSION) {
      if (typeof value === 'number' && Number.isInteger(value) && value >= 1) decoded.schemaVersion = value;
    } else if (key === OCCURRED_AT) {
      const at = typeof value === 'string' ? new Date(value) : undefined;
      if (at && !Number.isNaN(at.getTime())) decoded.occurredAt = at;
    } else {
      entries.push([RESERVED.test(key) ? key.slice(1) : key, value]);
    }
  }
  decoded.metadata = Object.fromEntries(entries);
  return decoded;
}

/** A validated event as the client's JSON event, keeping its id (the idempotency key). */
export function toEventData(event: PreparedEvent): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    // already checked to be JSON; parsed back so the client encodes it exactly once more
    data: JSON.parse(event.data) as JSONType,
    metadata: encodeMetadata(event),
  });
}

/** EventStoreDB writes "no position" as -1 or as the unsigned 64-bit maximum. */
const NO_POSITION = 1n << 63n;

function validPosition(position: bigint | undefined): bigint | undefined {
  return position !== undefined && position >= 0n && position < NO_POSITION ? position : undefined;
}

/**
 * The global position of a record: its commit position. Since 20.x every appended event is
 * its own implicitly committed record, so commit == prepare == the event's place in the log.
 * Stream reads carry it only from server 22.6 on; older servers are not supported.
 */
export function positionOf(event: EsdbRecordedEvent, commitPosition?: bigint): Position {
  const position = validPosition(event.position?.commit) ?? validPosition(commitPosition);
  if (position === undefined) {
    throw new Error(`EventStoreDB returned no log position for event ${event.id} of ${event.streamId}; server 22.6 or later is required`);
  }
  return position;
}

/** Where a forward read of $all starts for an exclusive `after` (the record at `after` itself is skipped by the reader). */
export function readPositionFrom(after: Position | undefined): ReadPosition {
  return after === undefined || after === 0n ? START : { commit: after, prepare: after };
}

/** The position of the last event an append wrote, when the server reported one. */
export function appendedPosition(result: EsdbAppendResult): Position | undefined {
  return validPosition(result.position?.commit);
}

/** A record as the port's envelope. */
export function toRecordedEvent(event: EsdbRecordedEvent, commitPosition?: bigint): RecordedEvent {
  const { schemaVersion, occurredAt, metadata } = decodeMetadata(event.metadata);
  return {
    id: event.id.toLowerCase(),
    type: event.type,
    schemaVersion,
    streamId: event.streamId,
    revision: event.revision,
    position: positionOf(event, commitPosition),
    occurredAt: occurredAt ?? event.created,
    data: event.data,
    metadata,
  };
}

/** Records of `$` system streams or types, and of streams not named `<category>-<id>`, are not part of Postledger's log. */
export function isPostledgerRecord(streamId: string, type: string): boolean {
  return !type.startsWith('$') && isValidStreamId(streamId);
}

/**
 * A predicate for the port's filter: categories and types match exactly (`Post` does not
 * match `PostDrafted`), both must hold when both are given, and an empty list matches nothing.
 */
export function eventMatcher(filter: EventFilter = {}): (streamId: string, type: string) => boolean {
  const categories = filter.categories ? new Set(filter.categories) : undefined;
  const types = filter.types ? new Set(filter.types) : undefined;
  return (streamId, type) =>
    isPostledgerRecord(streamId, type) &&
    (categories === undefined || categories.has(streamId.slice(0, streamId.indexOf('-')))) &&
    (types === undefined || types.has(type));
}

/** What the port calls the actual revision: `undefined` when the stream does not exist. */
export function actualRevision(current: bigint | string | undefined): bigint | undefined {
  return typeof current === 'bigint' && current >= 0n ? current : undefined;
}

/** The outcome of one conditional write, as the append loop needs it. */
export type WriteOutcome =
  | { kind: 'written'; nextRevision: bigint; position: Position }
  /** Accepted, but the server gave no position (an idempotent replay not yet indexed). */
  | { kind: 'unconfirmed' }
  /** The stream was not at the revision the write was conditioned on. */
  | { kind: 'moved'; actual: bigint | undefined };

/** Reads the client's append result (`throwOnAppendFailure=false` in a connection string reports failure this way). */
export function writeOutcome(result: EsdbAppendResult): WriteOutcome {
  if (!result.success) return { kind: 'moved', actual: actualRevision(result.nextExpectedRevision) };
  const position = appendedPosition(result);
  return position === undefined ? { kind: 'unconfirmed' } : { kind: 'written', nextRevision: result.nextExpectedRevision + 1n, position };
}

/**
 * Turns a client error thrown by an append into an outcome (wrong expected version) or into
 * the port's error (an append over the server's size limit is the caller's input); anything
 * else is rethrown as it is.
 */
export function writeErrorOutcome(error: unknown): WriteOutcome {
  switch (errorType(error)) {
    case ErrorType.WRONG_EXPECTED_VERSION:
      return { kind: 'moved', actual: actualRevision((error as { actualVersion?: bigint | string }).actualVersion) };
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
      throw new InvalidInput('events', `the batch is over EventStoreDB's maximum append size of ${String((error as { maxAppendSize?: number }).maxAppendSize)} bytes`);
    default:
      throw error;
  }
}

/** Reading a stream that does not exist fails with this error; the port reads it as empty. */
export function isStreamNotFound(error: unknown): boolean {
  return errorType(error) === ErrorType.STREAM_NOT_FOUND;
}

/** Client errors are recognised by their `type`, which survives duplicated copies of the package. */
function errorType(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? (error as { type?: unknown }).type : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Appends with the port's idempotency on top of EventStoreDB: the stream is read first, the
 * append is decided against that snapshot exactly as the PostgreSQL `pl_append` decides it,
 * and the write is then conditioned on the revision the snapshot saw. If the stream moved in
 * between, the server refuses the write and the decision is taken again on a fresh snapshot,
 * so no interleaving of appends to one stream can store an id twice or mix a batch.
 */
import { NO_STREAM } from '@eventstore/db-client';
import { IdempotencyConflict, WrongExpectedRevision } from '../errors';
import type { PreparedAppend, PreparedEvent } from '../event-validation';
import type { AppendResult, ExpectedRevision, Position } from '../port';
import type { WriteOutcome } from './mapping';

/** What a stream held when it was read: its last revision and where each event id sits. */
export interface StreamSnapshot {
  last: bigint | undefined;
  stored: ReadonlyMap<string, { revision: bigint; position: Position }>;
}

/** The condition a write is sent with: the exact revision seen, or no stream. */
export type WriteCondition = typeof NO_STREAM | bigint;

export type AppendDecision =
  | { kind: 'duplicate'; result: AppendResult }
  | { kind: 'mixed'; storedIds: string[] }
  | { kind: 'conflict'; actual: bigint | undefined }
  | { kind: 'write'; condition: WriteCondition };

/**
 * Decides an append against a snapshot of its stream, in the order `pl_append` does: a batch
 * whose ids are all stored is a duplicate (its first result), some stored is a conflict of
 * idempotency, and only then is the expected revision checked.
 */
export function decideAppend(expected: ExpectedRevision, snapshot: StreamSnapshot, ids: readonly string[]): AppendDecision {
  const storedIds = ids.filter((id) => snapshot.stored.has(id));
  if (storedIds.length === ids.length) {
    let last = snapshot.stored.get(ids[0]!)!;
    for (const id of ids) {
      const entry = snapshot.stored.get(id)!;
      if (entry.revision > last.revision) last = entry;
    }
    return { kind: 'duplicate', result: { nextRevision: last.revision + 1n, position: last.position } };
  }
  if (storedIds.length > 0) return { kind: 'mixed', storedIds };
  const current = snapshot.last;
  const matches =
    expected === 'any' ||
    (expected === 'no_stream' && current === undefined) ||
    (expected === 'stream_exists' && current !== undefined) ||
    (typeof expected === 'bigint' && current === expected);
  if (!matches) return { kind: 'conflict', actual: current };
  return { kind: 'write', condition: current ?? NO_STREAM };
}

export interface AppendIo {
  snapshot(streamId: string): Promise<StreamSnapshot>;
  write(streamId: string, condition: WriteCondition, events: readonly PreparedEvent[]): Promise<WriteOutcome>;
  sleep(ms: number): Promise<void>;
}

/** Rounds of read-decide-write before giving up on a stream that keeps moving. */
export const MAX_APPEND_ATTEMPTS = 30;

/** No wait before the first re-read, then a short exponential backoff. */
export function backoffMs(attempt: number): number {
  return attempt === 0 ? 0 : Math.min(2 ** attempt, 100);
}

/**
 * Appends one validated batch, returning the first result for a repeated batch.
 *
 * ```ts
 * await appendWithSnapshots(io, prepareAppend(streamId, events, maxBytes), 'no_stream');
 * ```
 */
export async function appendWithSnapshots(io: AppendIo, append: PreparedAppend, expected: ExpectedRevision): Promise<AppendResult> {
  const { streamId, events } = append;
  const ids = events.map((e) => e.id);
  let last: WriteOutcome | undefined;
  for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
    const decision = decideAppend(expected, await io.snapshot(streamId), ids);
    switch (decision.kind) {
      case 'duplicate':
        return decision.result;
      case 'mixed':
        throw new IdempotencyConflict(streamId, decision.storedIds);
      case 'conflict':
        throw new WrongExpectedRevision(streamId, expected, decision.actual);
      case 'write':
        last = await io.write(streamId, decision.condition, events);
        if (last.kind === 'written') return { nextRevision: last.nextRevision, position: last.position };
        // moved: decide again on what the stream now holds; unconfirmed: the next snapshot
        // holds the stored batch and answers with its first result
        await io.sleep(backoffMs(attempt));
    }
  }
  if (last?.kind === 'moved') throw new WrongExpectedRevision(streamId, expected, last.actual);
  throw new Error(`stream ${streamId}: EventStoreDB accepted the append but its events did not become readable`);
}

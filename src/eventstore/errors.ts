import type { ExpectedRevision } from './port';

/** Base of every error the event store raises for a caller's mistake or a conflict. */
export class EventStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The stream was not at the revision the append expected. */
export class WrongExpectedRevision extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event; `undefined` when the stream does not exist. */
    readonly actual: bigint | undefined,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${actual === undefined ? 'no stream' : String(actual)}`);
  }
}

/** Some, not all, of a batch's event ids were already stored: a retry that is not the same batch. */
export class IdempotencyConflict extends EventStoreError {
  constructor(readonly streamId: string, readonly storedIds: readonly string[]) {
    super(`stream ${streamId}: batch mixes already-stored event ids (${storedIds.join(', ')}) with new ones`);
  }
}

/** The append or read was refused before touching the log. */
export class InvalidInput extends EventStoreError {
  constructor(readonly field: string, detail: string) {
    super(`${field}: ${detail}`);
  }
}

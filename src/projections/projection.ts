import type { Transaction } from 'kysely';
import type { EventFilter, RecordedEvent } from '../eventstore/port';
import type { Migration } from '../platform/migrations';
import type { ReadModels } from './read-models';

/**
 * A read model derived from the log: which events it reads, its tables, and how a batch of
 * events changes them. `apply` runs in the transaction that also moves the checkpoint, so
 * a batch is applied exactly once.
 */
export interface Projection {
  name: string;
  filter: EventFilter;
  migrations: Migration[];
  /**
   * Reads the log as stored (the raw adapter), not through a reader that decrypts or erases
   * personal data: the audit chain hashes what is stored.
   */
  storedForm?: boolean;
  apply(trx: Transaction<ReadModels>, events: readonly RecordedEvent[]): Promise<void>;
  /**
   * Optional: a faster way for a rebuild to fill its empty tables. The rebuild's main pass
   * gives the batches, in order, to the returned `apply` (each in its own transaction, as with
   * `apply`), then calls `finish` once; from there on the tables must be exactly what `apply`
   * alone would have made, since what comes later goes to `apply`.
   */
  bulk?(): BulkLoad;
}

/** A rebuild's bulk load of one projection (see `Projection.bulk`). */
export interface BulkLoad {
  apply(trx: Transaction<ReadModels>, events: readonly RecordedEvent[]): Promise<void>;
  finish(trx: Transaction<ReadModels>): Promise<void>;
}

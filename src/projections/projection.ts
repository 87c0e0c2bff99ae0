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
}

import type { EventStore } from '../../src/eventstore/port';

/**
 * `store` behind the EventStore port only: not a PostgresEventStore (nor a PersonalDataEventStore),
 * so code that takes a faster path for those reads it as it would any adapter, e.g. EventStoreDB.
 */
export function portOnly(store: EventStore): EventStore {
  return {
    appendToStream: (...args) => store.appendToStream(...args),
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribe: (...args) => store.subscribe(...args),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

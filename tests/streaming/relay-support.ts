/** What the relay tests share: a log in a schema of their own, events to append, a consumer that records. */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { RecordedEvent } from '../../src/eventstore/port';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { migrate } from '../../src/platform/migrations';
import type { ConsumedMessage, MessageBus } from '../../src/streaming/bus';
import { relayMigrations } from '../../src/streaming/relay-checkpoint';
import { createTestDatabase, type TestDatabase } from '../support/database';

export interface RelayLog {
  database: TestDatabase;
  pool: Pool;
  store: PostgresEventStore;
  close(): Promise<void>;
}

/** The event log and the relay's checkpoint table in a fresh schema. */
export async function relayLog(): Promise<RelayLog> {
  const database = await createTestDatabase('relay');
  const pool = new Pool({ ...database.connection, max: 8 });
  const store = new PostgresEventStore({ connection: database.connection, pool, pollIntervalMs: 200 });
  await store.migrate();
  await migrate(pool, relayMigrations);
  return {
    database,
    pool,
    store,
    async close() {
      await store.close();
      await pool.end();
      await database.drop();
    },
  };
}

/** A category (and so a topic, `postledger.<category>`) no other test uses. */
export const freshCategory = (): string => `rt${randomUUID().replace(/-/g, '').slice(0, 10)}`;

/** Appends `rounds` events to each of `streams` streams of the category, one event per append, round by round. */
export async function appendRounds(store: PostgresEventStore, category: string, streams: number, rounds: number, from = 0): Promise<void> {
  for (let round = from; round < from + rounds; round += 1) {
    for (let s = 0; s < streams; s += 1) {
      await store.appendToStream(`${category}-s${s}`, [{ id: randomUUID(), type: 'Ticked', data: { round }, metadata: { correlationId: 'c' } }]);
    }
  }
}

/** One message as received: what the ordering and completeness checks need. */
export interface Received {
  key: string;
  position: bigint;
  revision: bigint;
  ceId: string;
  message: ConsumedMessage;
}

/** Records every message of `topic` (a group of its own, from the beginning). */
export async function recordTopic(bus: MessageBus, topic: string): Promise<{ received: Received[]; stop(): Promise<void> }> {
  const received: Received[] = [];
  const consumer = await bus.consume({
    topics: [topic],
    groupId: `recorder-${randomUUID()}`,
    fromBeginning: true,
    handle: async (message) => {
      received.push({
        key: message.key,
        position: BigInt(message.headers.ce_position!),
        revision: BigInt(message.headers.ce_revision!),
        ceId: message.headers.ce_id!,
        message,
      });
    },
  });
  return { received, stop: () => consumer.stop() };
}

/**
 * Checks what a consumer received against the log: every event arrived; per key, the first
 * arrival of each revision comes in revision order; a message seen twice carries the same
 * `ce_id`. Returns how many arrivals were duplicates.
 */
export function expectEveryEventInOrderPerKey(received: readonly Received[], events: readonly RecordedEvent[]): number {
  const byPosition = new Map(events.map((e) => [e.position, e]));
  const firstSeen = new Map<bigint, Received>();
  const lastRevision = new Map<string, bigint>();
  let duplicates = 0;
  for (const r of received) {
    const event = byPosition.get(r.position);
    expect(event && { id: event.id, streamId: event.streamId }).toEqual({ id: r.ceId, streamId: r.key });
    if (firstSeen.has(r.position)) {
      duplicates += 1;
      continue;
    }
    firstSeen.set(r.position, r);
    const previous = lastRevision.get(r.key) ?? -1n;
    expect({ key: r.key, revision: r.revision }).toEqual({ key: r.key, revision: previous + 1n });
    lastRevision.set(r.key, r.revision);
  }
  const missing = events.filter((e) => !firstSeen.has(e.position)).map((e) => e.position.toString());
  expect(missing).toEqual([]);
  return duplicates;
}

import { randomUUID } from 'node:crypto';
import { CommandHandler, ConcurrencyConflict, derivedEventId, PreconditionFailed, type EventCodec } from '../../src/commands/command-handler';
import type { Decider, DomainEvent } from '../../src/domain/decider';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { createTestDatabase, type TestDatabase } from '../support/database';

type CounterEvent = DomainEvent<'Incremented', { by: number }>;
type CounterCommand = { type: 'Increment'; by: number };
const counter: Decider<CounterCommand, CounterEvent, { total: number }> = {
  initialState: () => ({ total: 0 }),
  decide: (command) => (command.by === 0 ? [] : [{ type: 'Incremented', data: { by: command.by } }]),
  evolve: (state, event) => ({ total: state.total + event.data.by }),
};
const codec: EventCodec = { decode: (e) => ({ type: e.type, data: e.data }), schemaVersionOf: () => 3 };

let database: TestDatabase;
let store: PostgresEventStore;
let handler: CommandHandler;
const metadata = { actor: { type: 'user' as const, id: 'u-1' }, correlationId: 'c-1' };

beforeAll(async () => {
  database = await createTestDatabase('cmd');
  store = new PostgresEventStore({ connection: database.connection });
  await store.migrate();
  handler = new CommandHandler(store, codec);
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

const streamId = () => `counter-${randomUUID()}`;

describe('CommandHandler', () => {
  it('loads, decides and appends with metadata and the catalogue schema version', async () => {
    const id = streamId();
    const first = await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 2 }, metadata });
    expect(first).toMatchObject({ state: { total: 2 }, revision: 0n, events: [{ type: 'Incremented' }] });
    const second = await handler.handle({ streamId: id, decider: counter, command: (state) => ({ type: 'Increment', by: state.total }), metadata });
    expect(second.state.total).toBe(4);
    expect(second.revision).toBe(1n);
    const [stored] = await store.readStream(id);
    expect(stored!.metadata).toEqual(metadata);
    expect(stored!.schemaVersion).toBe(3);
    expect(second.position).toBe((await store.readStream(id))[1]!.position);
  });

  it('appends nothing when the decision is empty and reports the current revision', async () => {
    const id = streamId();
    await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 1 }, metadata });
    const result = await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 0 }, metadata });
    expect(result.events).toEqual([]);
    expect(result.revision).toBe(0n);
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('refuses a stale If-Match revision with PreconditionFailed and writes nothing', async () => {
    const id = streamId();
    await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 1 }, metadata });
    await expect(handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 1 }, metadata, expectedRevision: 5n })).rejects.toBeInstanceOf(
      PreconditionFailed,
    );
    const ok = await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 1 }, metadata, expectedRevision: 0n });
    expect(ok.revision).toBe(1n);
    expect(await store.readStream(id)).toHaveLength(2);
  });

  it('retries a conflicting command on the fresh state when no If-Match is given', async () => {
    const id = streamId();
    await Promise.all(Array.from({ length: 8 }, () => handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 1 }, metadata, maxAttempts: 12 })));
    const loaded = await handler.load(id, counter);
    expect(loaded.state.total).toBe(8);
    expect(loaded.revision).toBe(7n);
  });

  it('turns a lost race under If-Match into PreconditionFailed', async () => {
    const id = streamId();
    await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 1 }, metadata });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 1 }, metadata, expectedRevision: 0n })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailed);
  });

  it('gives up with ConcurrencyConflict after its attempts', async () => {
    const id = streamId();
    let writes = 0;
    // a competing writer slips in between every load and append
    const racing: Decider<CounterCommand, CounterEvent, { total: number }> = {
      ...counter,
      decide: (command, state) => {
        writes += 1;
        void store.appendToStream(id, [{ id: randomUUID(), type: 'Incremented', data: { by: 1 } }]);
        return counter.decide(command, state);
      },
    };
    await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 1 }, metadata });
    await expect(handler.handle({ streamId: id, decider: racing, command: { type: 'Increment', by: 1 }, metadata, maxAttempts: 2 })).rejects.toBeInstanceOf(
      ConcurrencyConflict,
    );
    expect(writes).toBe(2);
  });

  it('passes other append errors through', async () => {
    await expect(handler.handle({ streamId: 'Bad Stream', decider: counter, command: { type: 'Increment', by: 1 }, metadata })).rejects.toThrow(/streamId/);
  });

  it('derives event ids from an idempotency key, so the same command again appends nothing even on a state that would accept it', async () => {
    const id = streamId();
    const once = await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 2 }, metadata, idempotencyKey: 'message-1' });
    const [stored] = await store.readStream(id);
    expect(stored!.id).toBe(derivedEventId('message-1', id, 0));
    expect(stored!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // the counter would add 2 again; the derived ids are already stored, so the store writes nothing
    const again = await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 2 }, metadata, idempotencyKey: 'message-1' });
    expect(again.position).toBe(once.position);
    expect(await store.readStream(id)).toHaveLength(1);
    // another key is another command
    await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 2 }, metadata, idempotencyKey: 'message-2' });
    expect(await store.readStream(id)).toHaveLength(2);
    expect(derivedEventId('message-1', id, 1)).not.toBe(derivedEventId('message-1', id, 0));
    expect(derivedEventId('message-1', streamId(), 0)).not.toBe(derivedEventId('message-1', id, 0));
  });

  it('loads streams longer than one page', async () => {
    const id = streamId();
    for (let i = 0; i < 3; i++) {
      await store.appendToStream(id, Array.from({ length: 4000 }, () => ({ id: randomUUID(), type: 'Incremented', data: { by: 1 } })));
    }
    const loaded = await handler.load(id, counter);
    expect(loaded.state.total).toBe(12000);
    expect(loaded.revision).toBe(11999n);
  });
});

type Mark = DomainEvent<'Marked', { value: number; resets: boolean }>;
/** State is the sum since the latest resetting event, which sets it outright. */
const marks: Decider<{ type: 'Mark'; value: number }, Mark, { sum: number }> = {
  initialState: () => ({ sum: 0 }),
  decide: (command) => [{ type: 'Marked', data: { value: command.value, resets: false } }],
  evolve: (state, event) => ({ sum: event.data.resets ? event.data.value : state.sum + event.data.value }),
  resetsState: (event) => event.data.resets,
};
const append = (id: string, values: Array<[number, boolean]>) =>
  store.appendToStream(id, values.map(([value, resets]) => ({ id: randomUUID(), type: 'Marked', data: { value, resets } })));

describe('CommandHandler loading from the tail', () => {

  it('gives the same state as a full fold, reading back only to the latest resetting event', async () => {
    const id = streamId();
    const values: Array<[number, boolean]> = Array.from({ length: 500 }, (_, i) => [i, i === 100]);
    await append(id, values);
    const readStream = jest.spyOn(store, 'readStream');
    try {
      const loaded = await handler.load(id, marks);
      const full = values.reduce((sum, [v, r]) => (r ? v : sum + v), 0);
      expect(loaded.state.sum).toBe(full);
      expect(loaded.revision).toBe(499n);
      expect(readStream.mock.calls.every(([, options]) => options?.direction === 'backwards')).toBe(true);
    } finally {
      readStream.mockRestore();
    }
  });

  it('folds a whole stream that has no resetting event, and an empty one', async () => {
    const id = streamId();
    await append(id, Array.from({ length: 40 }, (_, i): [number, boolean] => [i, false]));
    expect((await handler.load(id, marks)).state.sum).toBe((39 * 40) / 2);
    expect(await handler.load(streamId(), marks)).toEqual({ state: { sum: 0 }, revision: undefined, position: undefined });
  });

  it('decides on a new stream without reading it, and still detects a stream that exists', async () => {
    const id = streamId();
    const readStream = jest.spyOn(store, 'readStream');
    try {
      const created = await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 3 }, metadata, newStream: true });
      expect(created.revision).toBe(0n);
      expect(readStream).not.toHaveBeenCalled();
    } finally {
      readStream.mockRestore();
    }
    // the stream is not new after all: the command is decided again on its real state
    const again = await handler.handle({ streamId: id, decider: counter, command: (state) => ({ type: 'Increment', by: state.total + 1 }), metadata, newStream: true });
    expect(again.state.total).toBe(7);
  });
});

describe('CommandHandler loading many streams', () => {

  it('gives each stream the state load gives it, from one read of the store for the streams it covers', async () => {
    const [resetAtEnd, resetEarly, noReset, empty] = [streamId(), streamId(), streamId(), streamId()];
    await append(resetAtEnd, [[5, false], [7, true]]);
    await append(resetEarly, Array.from({ length: 30 }, (_, i): [number, boolean] => [i, i === 3]));
    await append(noReset, [[1, false], [2, false]]);
    const ids = [resetAtEnd, resetEarly, noReset, empty, resetAtEnd];
    const readStreams = jest.spyOn(store, 'readStreams');
    const readStream = jest.spyOn(store, 'readStream');
    try {
      const loaded = await handler.loadMany(ids, marks);
      expect(readStreams).toHaveBeenCalledTimes(1);
      // only the stream whose resetting event lies beyond the tail read is loaded on its own
      expect(new Set(readStream.mock.calls.map(([id]) => id))).toEqual(new Set([resetEarly]));
      expect([...loaded.keys()]).toEqual([resetAtEnd, resetEarly, noReset, empty]);
      for (const id of [resetAtEnd, resetEarly, noReset, empty]) expect(loaded.get(id)).toEqual(await handler.load(id, marks));
    } finally {
      readStreams.mockRestore();
      readStream.mockRestore();
    }
  });

  it('folds whole streams of a decider without resetting events, loading a stream longer than a page on its own', async () => {
    const [short, long] = [streamId(), streamId()];
    await store.appendToStream(short, [{ id: randomUUID(), type: 'Incremented', data: { by: 2 } }]);
    for (let i = 0; i < 3; i++) await store.appendToStream(long, Array.from({ length: 4000 }, () => ({ id: randomUUID(), type: 'Incremented', data: { by: 1 } })));
    const loaded = await handler.loadMany([short, long], counter);
    expect(loaded.get(short)).toMatchObject({ state: { total: 2 }, revision: 0n });
    expect(loaded.get(long)).toMatchObject({ state: { total: 12000 }, revision: 11999n });
  });

  it('reads stream by stream through a store without readStreams', async () => {
    const id = streamId();
    await store.appendToStream(id, [{ id: randomUUID(), type: 'Incremented', data: { by: 4 } }]);
    // the same store, its readStreams hidden
    const plain = new CommandHandler(Object.assign(Object.create(store) as PostgresEventStore, { readStreams: undefined }), codec);
    expect((await plain.loadMany([id], counter)).get(id)).toMatchObject({ state: { total: 4 }, revision: 0n });
  });

  it('decides on the state it is given, and on a fresh read when the stream moved meanwhile', async () => {
    const id = streamId();
    await store.appendToStream(id, [{ id: randomUUID(), type: 'Incremented', data: { by: 1 } }]);
    const loaded = (await handler.loadMany([id], counter)).get(id)!;
    const readStream = jest.spyOn(store, 'readStream');
    try {
      const result = await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 2 }, metadata, loaded });
      expect(result.state.total).toBe(3);
      expect(readStream).not.toHaveBeenCalled();
    } finally {
      readStream.mockRestore();
    }
    // the same (now stale) state again: the append conflicts and the command is decided on the stream as it is
    const retried = await handler.handle({ streamId: id, decider: counter, command: { type: 'Increment', by: 5 }, metadata, loaded });
    expect(retried.state.total).toBe(8);
    expect(retried.revision).toBe(2n);
  });
});

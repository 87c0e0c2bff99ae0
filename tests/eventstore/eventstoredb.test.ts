/**
 * The EventStoreDB adapter against a real server: the shared contract runs when
 * EVENTSTORE_CONNECTION_STRING is set (e.g. `esdb://localhost:2113?tls=false`, a user allowed
 * to read $all). Without it the suite is skipped and says why. What needs no server (input
 * checks, and how an unreachable server surfaces) always runs.
 */
import { randomUUID } from 'node:crypto';
import { UnavailableError } from '@eventstore/db-client';
import { InvalidInput } from '../../src/eventstore/errors';
import { EventStoreDbEventStore } from '../../src/eventstore/eventstoredb/store';
import { describeEventStoreContract } from './contract';

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;
const SKIPPED = 'EventStoreDB contract suite skipped: EVENTSTORE_CONNECTION_STRING is not set (no EventStoreDB server on this machine)';

if (connectionString) {
  describeEventStoreContract('EventStoreDB', {
    eventIdsUniqueAcrossStreams: false,
    readsManyStreams: false,
    async create(options = {}) {
      const open = () => new EventStoreDbEventStore({ connectionString, maxEventBytes: options.maxEventBytes, pollIntervalMs: 200 });
      return { store: open(), otherStore: async () => open() };
    },
    async destroy(context) {
      await context.store.close();
    },
  });
} else {
  console.warn(SKIPPED);
  describe.skip(SKIPPED, () => {
    it.skip('runs the EventStore contract against a real EventStoreDB server', () => undefined);
  });
}

describe('EventStoreDbEventStore without a reachable server', () => {
  // nothing listens on port 1: every call that reaches the network fails at once
  let store: EventStoreDbEventStore;
  const warn = jest.fn();
  beforeEach(() => {
    store = new EventStoreDbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false', logger: { warn } as never });
  });
  afterEach(async () => {
    await store.close();
  });

  it('refuses bad input before touching the server', async () => {
    await expect(store.appendToStream('post-1', [])).rejects.toBeInstanceOf(InvalidInput);
    await expect(store.appendToStream('post-1', [{ id: randomUUID(), type: 'X', data: {} }], { expectedRevision: -1n })).rejects.toBeInstanceOf(InvalidInput);
    await expect(store.readStream('Not A Stream')).rejects.toBeInstanceOf(InvalidInput);
    await expect(store.readStream('post-1', { maxCount: 0 })).rejects.toBeInstanceOf(InvalidInput);
    await expect(store.readAll({ maxCount: 1.5 })).rejects.toBeInstanceOf(InvalidInput);
  });

  it('fails ping, reads, appends and the head with the client error', async () => {
    await expect(store.ping()).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.readStream('post-1', { direction: 'backwards' })).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.readAll({ after: 1234n })).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.headPosition()).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.appendToStream('post-1', [{ id: randomUUID(), type: 'X', data: {} }])).rejects.toBeInstanceOf(UnavailableError);
  });

  it('ends a subscription loop with the client error, and logs that live wake-ups dropped', async () => {
    const subscription = store.subscribe({ filter: { categories: ['post'] } });
    await expect(subscription[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(UnavailableError);
    await subscription.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ attempt: 0 }), expect.stringMatching(/live subscription dropped/));
  });

  it('accepts the kurrentdb:// scheme the configuration allows', async () => {
    const kurrent = new EventStoreDbEventStore({ connectionString: 'kurrentdb://127.0.0.1:1?tls=false' });
    try {
      await expect(kurrent.ping()).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await kurrent.close();
    }
  });

  it('leaves a client it was given open', async () => {
    const shared = new EventStoreDbEventStore({ client: store.client });
    await shared.close();
    await expect(store.ping()).rejects.toBeInstanceOf(UnavailableError);
  });
});

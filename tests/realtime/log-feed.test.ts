import { randomUUID } from 'node:crypto';
import type { Subscription, SubscribeOptions } from '../../src/eventstore/port';
import { PostgresEventStore } from '../../src/eventstore/postgres/store';
import { createLogger } from '../../src/platform/logger';
import { LogFeed } from '../../src/realtime/log-feed';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from './support';

describe('LogFeed', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('rtl');
    store = new PostgresEventStore({ connection: db.connection, pollIntervalMs: 50 });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const append = (n: number) => store.appendToStream(`post-${randomUUID()}`, [{ id: randomUUID(), type: 'Something', data: { n } }]);

  it('starts at the head of the log and, when its subscription fails, continues after the last event it handed over', async () => {
    await append(0);
    const head = await store.headPosition();
    let failures = 1;
    // the real store, whose first subscription breaks after one event (as a lost connection would)
    const flaky = Object.create(store) as PostgresEventStore;
    flaky.subscribe = (options?: SubscribeOptions): Subscription => {
      const inner = store.subscribe(options);
      if (failures-- <= 0) return inner;
      return {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          for await (const event of inner) {
            yield event;
            throw new Error('connection lost');
          }
        },
      };
    };
    const warnings: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
    const feed = new LogFeed({ store: flaky, logger, retryMs: 10 });
    const seen: bigint[] = [];
    await feed.start((event) => seen.push(event.position));
    await eventually('the head read', () => feed.position === head);
    const appended = [];
    for (let i = 1; i <= 5; i += 1) appended.push((await append(i)).position);
    await eventually('every event', () => seen.length === 5);
    expect(seen).toEqual(appended);
    expect(warnings).toEqual(['realtime feed: the log cannot be read; trying again']);
    await feed.stop();
  });
});

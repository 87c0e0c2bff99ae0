import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import { CommitNotifier } from '../../src/eventstore/postgres/notifier';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('ntf');
});
afterAll(async () => {
  await database.drop();
});

describe('CommitNotifier', () => {
  it('coalesces notifications: never more than one in flight, and one more for commits made meanwhile', async () => {
    const pool = new Pool(database.connection);
    const listener = new Client(database.connection);
    await listener.connect();
    const received: string[] = [];
    listener.on('notification', (n) => received.push(n.channel));
    await listener.query(`listen "pl_events_${database.schema}"`);
    try {
      const notifier = new CommitNotifier(pool);
      for (let i = 0; i < 50; i++) notifier.notify();
      const deadline = Date.now() + 5000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      expect(received).toEqual([`pl_events_${database.schema}`, `pl_events_${database.schema}`]);
    } finally {
      await listener.end();
      await pool.end();
    }
  });

  it('sends at most one notification per interval, and one more for commits made meanwhile', async () => {
    const sentAt: number[] = [];
    const pool = {
      query: jest.fn(async (text: string) => {
        if (text.includes('pg_notify')) sentAt.push(performance.now());
        return { rows: [{ s: 'x' }] };
      }),
    };
    const notifier = new CommitNotifier(pool as never, undefined, null, 40);
    // a writer alone: one commit every 2 ms for 200 ms
    const notifiedAt: number[] = [];
    const began = performance.now();
    while (performance.now() - began < 200) {
      notifiedAt.push(performance.now());
      notifier.notify();
      await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 100));
    // the first at once (before the next commit), then at most one per 40 ms while commits keep
    // coming (a timer never fires early), and one after the last commit
    expect(sentAt[0]!).toBeLessThan(notifiedAt[1]!);
    expect(sentAt.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!).toBeGreaterThan(30);
    expect(sentAt.at(-1)!).toBeGreaterThanOrEqual(notifiedAt.at(-1)!);
  });

  it('after close sends nothing, not even a notification waiting for its interval', async () => {
    const pool = { query: jest.fn().mockResolvedValue({ rows: [{ s: 'x' }] }) };
    const notifier = new CommitNotifier(pool as never, undefined, null, 60_000);
    notifier.notify();
    await new Promise((r) => setTimeout(r, 5));
    const sent = () => pool.query.mock.calls.filter(([text]) => String(text).includes('pg_notify')).length;
    expect(sent()).toBe(1);
    notifier.notify(); // waits for the interval
    await notifier.close();
    notifier.notify();
    await new Promise((r) => setTimeout(r, 80));
    expect(sent()).toBe(1);
  });

  it('closes once a NOTIFY already sent has its answer', async () => {
    let answer: (() => void) | undefined;
    const pool = {
      query: jest.fn((text: string) => (text.includes('pg_notify') ? new Promise((resolve) => (answer = () => resolve({ rows: [] }))) : Promise.resolve({ rows: [{ s: 'x' }] }))),
    };
    const notifier = new CommitNotifier(pool as never, undefined, null, 0);
    notifier.notify();
    while (answer === undefined) await new Promise((r) => setTimeout(r, 1));
    let closed = false;
    const closing = notifier.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    answer();
    await closing;
    expect(closed).toBe(true);
  });

  it('logs a failed notification and keeps working', async () => {
    const warn = jest.fn();
    const pool = { query: jest.fn().mockRejectedValueOnce(new Error('connection lost')).mockResolvedValue({ rows: [{ s: 'x' }] }) };
    const notifier = new CommitNotifier(pool as never, { warn } as never, null, 0);
    notifier.notify();
    await new Promise((r) => setTimeout(r, 20));
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), expect.stringMatching(/will poll/));
    notifier.notify();
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.query).toHaveBeenLastCalledWith('select pg_notify($1, $2)', ['pl_events_x', null]);
  });
});

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

  it('logs a failed notification and keeps working', async () => {
    const warn = jest.fn();
    const pool = { query: jest.fn().mockRejectedValueOnce(new Error('connection lost')).mockResolvedValue({ rows: [{ s: 'x' }] }) };
    const notifier = new CommitNotifier(pool as never, { warn } as never);
    notifier.notify();
    await new Promise((r) => setTimeout(r, 20));
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), expect.stringMatching(/will poll/));
    notifier.notify();
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.query).toHaveBeenLastCalledWith('select pg_notify($1, $2)', ['pl_events_x', null]);
  });
});

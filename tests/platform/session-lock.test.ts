import { Client } from 'pg';
import { SessionLock } from '../../src/platform/session-lock';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unusedPort } from '../support/ports';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('lock');
});
afterAll(async () => {
  await database.drop();
});

describe('SessionLock', () => {
  it('lets one holder at a time; a standby gets it once the holder releases', async () => {
    const a = new SessionLock(database.connection, 'test:one');
    const b = new SessionLock(database.connection, 'test:one');
    try {
      expect(await a.tryAcquire()).toBe(true);
      expect(await a.tryAcquire()).toBe(true);
      expect(await b.tryAcquire()).toBe(false);
      expect(await b.tryAcquire()).toBe(false);
      await a.release();
      expect(await b.tryAcquire()).toBe(true);
      expect(b.isHeld).toBe(true);
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('reports a lost connection, and with it the lock', async () => {
    const lost = jest.fn();
    const lock = new SessionLock(database.connection, 'test:lost', lost);
    try {
      expect(await lock.tryAcquire()).toBe(true);
      const admin = new Client(database.connection);
      await admin.connect();
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where query like '%test:lost%' and pid <> pg_backend_pid()`);
      await admin.end();
      for (let i = 0; i < 100 && lost.mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(lost).toHaveBeenCalledTimes(1);
      expect(lock.isHeld).toBe(false);
      expect(await lock.tryAcquire()).toBe(true);
    } finally {
      await lock.release();
    }
  });

  it('fails to acquire when the server cannot be reached, and refuses odd names', async () => {
    const lock = new SessionLock({ host: '127.0.0.1', port: await unusedPort() }, 'test:down');
    await expect(lock.tryAcquire()).rejects.toThrow();
    expect(() => new SessionLock(database.connection, "x'; drop table y; --")).toThrow(/lock name/);
  });
});

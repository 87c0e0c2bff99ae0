import { Pool } from 'pg';
import { IdempotencyKeys, idempotencyMigrations, requestFingerprint } from '../../src/commands/idempotency';
import { migrate } from '../../src/platform/migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase('idem');
  pool = new Pool(database.connection);
  await migrate(pool, idempotencyMigrations);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

const response = { status: 201, headers: { etag: 'W/"0"' }, body: { id: 'x' } };

describe('IdempotencyKeys', () => {
  it('lets the first request run and replays its response to the next', async () => {
    const keys = new IdempotencyKeys(pool);
    const fp = requestFingerprint('POST', '/v1/x', { a: 1 });
    expect(await keys.claim('user:1', 'k1', fp)).toEqual({ kind: 'first' });
    await keys.complete('user:1', 'k1', response);
    expect(await keys.claim('user:1', 'k1', fp)).toEqual({ kind: 'replay', response });
  });

  it('reports another body under the same key as a mismatch', async () => {
    const keys = new IdempotencyKeys(pool);
    await keys.claim('user:1', 'k2', requestFingerprint('POST', '/v1/x', { a: 1 }));
    expect(await keys.claim('user:1', 'k2', requestFingerprint('POST', '/v1/x', { a: 2 }))).toEqual({ kind: 'mismatch' });
    expect(await keys.claim('user:1', 'k2', requestFingerprint('POST', '/v1/y', { a: 1 }))).toEqual({ kind: 'mismatch' });
  });

  it('keeps keys of different principals apart', async () => {
    const keys = new IdempotencyKeys(pool);
    const fp = requestFingerprint('POST', '/v1/x', {});
    expect((await keys.claim('user:a', 'same', fp)).kind).toBe('first');
    expect((await keys.claim('user:b', 'same', fp)).kind).toBe('first');
  });

  it('makes concurrent retries wait for the first and get its response', async () => {
    const keys = new IdempotencyKeys(pool);
    const fp = requestFingerprint('POST', '/v1/x', { c: 1 });
    const claims = await Promise.all(Array.from({ length: 10 }, () => keys.claim('user:1', 'k3', fp).then(async (claim) => {
      if (claim.kind === 'first') {
        await new Promise((r) => setTimeout(r, 100));
        await keys.complete('user:1', 'k3', response);
      }
      return claim;
    })));
    expect(claims.filter((c) => c.kind === 'first')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'replay')).toHaveLength(9);
  });

  it('answers in-progress when the first request outlives the wait', async () => {
    const keys = new IdempotencyKeys(pool, { waitMs: 60 });
    const fp = requestFingerprint('POST', '/v1/x', { d: 1 });
    await keys.claim('user:1', 'k4', fp);
    expect(await keys.claim('user:1', 'k4', fp)).toEqual({ kind: 'in-progress' });
  });

  it('forgets a released claim so that a retry runs again', async () => {
    const keys = new IdempotencyKeys(pool);
    const fp = requestFingerprint('POST', '/v1/x', { e: 1 });
    await keys.claim('user:1', 'k5', fp);
    await keys.release('user:1', 'k5');
    expect(await keys.claim('user:1', 'k5', fp)).toEqual({ kind: 'first' });
  });

  it('takes over an expired key and purges expired ones', async () => {
    const keys = new IdempotencyKeys(pool, { ttlMs: 1 });
    const fp = requestFingerprint('POST', '/v1/x', { f: 1 });
    await keys.claim('user:1', 'k6', fp);
    await keys.complete('user:1', 'k6', response);
    await new Promise((r) => setTimeout(r, 10));
    expect(await keys.claim('user:1', 'k6', requestFingerprint('POST', '/v1/x', { other: true }))).toEqual({ kind: 'first' });
    await new Promise((r) => setTimeout(r, 10));
    expect(await keys.purgeExpired()).toBeGreaterThanOrEqual(1);
  });
});

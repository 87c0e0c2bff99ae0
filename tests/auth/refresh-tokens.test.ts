import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { InvalidRefreshToken, RefreshTokenReused } from '../../src/auth/errors';
import { RefreshTokens } from '../../src/auth/refresh-tokens';
import { createTestDatabase } from '../support/database';
import { authDatabase, tableDump, TestClock } from './support';

const DAY = 24 * 60 * 60 * 1000;

let db: Awaited<ReturnType<typeof authDatabase>>;
let clock: TestClock;
let refreshTokens: RefreshTokens;

beforeAll(async () => {
  db = await authDatabase();
});

beforeEach(() => {
  clock = new TestClock();
  refreshTokens = new RefreshTokens(db.pool, { now: clock.now });
});

afterAll(async () => {
  await db.close();
});

async function refusal(attempt: Promise<unknown>): Promise<string> {
  const error: unknown = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidRefreshToken);
  return (error as InvalidRefreshToken).reason;
}

describe('issuing', () => {
  it('hands out an opaque rt_ token in a new family, valid 30 days', async () => {
    const userId = randomUUID();
    const first = await refreshTokens.issue(userId);
    const second = await refreshTokens.issue(userId);
    expect(first).toEqual({ userId, familyId: expect.any(String), token: expect.stringMatching(/^rt_[A-Za-z0-9_-]{43}$/), expiresAt: new Date(clock.now().getTime() + 30 * DAY) });
    expect(second.familyId).not.toBe(first.familyId);
    expect(second.token).not.toBe(first.token);
  });

  it('stores only the SHA-256 of the token', async () => {
    const { token } = await refreshTokens.issue(randomUUID());
    const digest = createHash('sha256').update(token).digest();
    const { rows } = await db.pool.query('select token_hash from pl_refresh_tokens where token_hash = $1', [digest]);
    expect(rows).toHaveLength(1);
    const dump = await tableDump(db.pool, 'pl_refresh_tokens');
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.slice(3));
    expect(dump).not.toContain(Buffer.from(token.slice(3), 'base64url').toString('hex'));
  });

  it('takes a configured lifetime', async () => {
    const hourly = new RefreshTokens(db.pool, { ttlMs: 3_600_000, now: clock.now });
    const { token, expiresAt } = await hourly.issue(randomUUID());
    expect(expiresAt).toEqual(new Date(clock.now().getTime() + 3_600_000));
    clock.advance(3_600_000);
    expect(await refusal(hourly.rotate(token))).toBe('expired');
  });

  it('uses the real clock by default', async () => {
    const real = new RefreshTokens(db.pool);
    const { token, expiresAt } = await real.issue(randomUUID());
    expect(Math.abs(expiresAt.getTime() - Date.now() - 30 * DAY)).toBeLessThan(60_000);
    await expect(real.rotate(token)).resolves.toMatchObject({ token: expect.stringMatching(/^rt_/) });
  });
});

describe('rotating', () => {
  it('spends the token and issues its successor in the same family, with a fresh lifetime', async () => {
    const userId = randomUUID();
    const issued = await refreshTokens.issue(userId);
    clock.advance(DAY);
    const next = await refreshTokens.rotate(issued.token);
    expect(next).toEqual({ userId, familyId: issued.familyId, token: expect.stringMatching(/^rt_/), expiresAt: new Date(clock.now().getTime() + 30 * DAY) });
    expect(next.token).not.toBe(issued.token);
    const third = await refreshTokens.rotate(next.token);
    expect(third.familyId).toBe(issued.familyId);
  });

  it('refuses malformed and unknown tokens', async () => {
    for (const token of ['', 'rt_', 'rt_short', `xx_${'a'.repeat(43)}`, `rt_${'a'.repeat(44)}`, `rt_${'*'.repeat(43)}`]) {
      expect(await refusal(refreshTokens.rotate(token))).toBe('malformed');
    }
    expect(await refusal(refreshTokens.rotate(undefined as unknown as string))).toBe('malformed');
    expect(await refusal(refreshTokens.rotate(`rt_${'a'.repeat(43)}`))).toBe('unknown');
  });

  it('refuses an expired token', async () => {
    const { token } = await refreshTokens.issue(randomUUID());
    clock.advance(30 * DAY - 1);
    const next = await refreshTokens.rotate(token);
    clock.advance(30 * DAY);
    expect(await refusal(refreshTokens.rotate(next.token))).toBe('expired');
  });

  it('revokes the whole family when a spent token is presented again', async () => {
    const userId = randomUUID();
    const stolen = await refreshTokens.issue(userId);
    const legit = await refreshTokens.rotate(stolen.token);
    const bystander = await refreshTokens.issue(userId);

    const error: unknown = await refreshTokens.rotate(stolen.token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshTokenReused);
    expect(error).toBeInstanceOf(InvalidRefreshToken);
    expect(error).toMatchObject({ code: 'refresh_token_reused', reason: 'reused', kind: 'unauthenticated', userId, familyId: stolen.familyId });

    expect(await refusal(refreshTokens.rotate(legit.token))).toBe('revoked');
    expect(await refusal(refreshTokens.rotate(stolen.token))).toBe('revoked');
    await expect(refreshTokens.isSessionActive(stolen.familyId)).resolves.toBe(false);
    await expect(refreshTokens.rotate(bystander.token)).resolves.toMatchObject({ familyId: bystander.familyId });
  });

  it('lets exactly one of concurrent rotations of one token succeed', async () => {
    const { token, familyId } = await refreshTokens.issue(randomUUID());
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => refreshTokens.rotate(token)));
    const successes = results.filter((r) => r.status === 'fulfilled');
    expect(successes).toHaveLength(1);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(InvalidRefreshToken);
    // the losers presented a spent token: strict reuse detection ends the session
    await expect(refreshTokens.isSessionActive(familyId)).resolves.toBe(false);
    const { rows } = await db.pool.query<{ n: string }>('select count(*) as n from pl_refresh_tokens where family_id = $1', [familyId]);
    expect(rows[0]!.n).toBe('2');
  });

  it('leaves nothing half-done when the database fails', async () => {
    const bare = await createTestDatabase('auth');
    const pool = new Pool({ ...bare.connection, max: 1 });
    try {
      const broken = new RefreshTokens(pool);
      await expect(broken.rotate(`rt_${'a'.repeat(43)}`)).rejects.toMatchObject({ code: '42P01' });
      // the connection went back to the pool, out of its transaction
      const { rows } = await pool.query<{ status: string }>('select 1 as status');
      expect(rows).toHaveLength(1);
      expect(pool.idleCount + pool.waitingCount).toBeLessThanOrEqual(1);
    } finally {
      await pool.end();
      await bare.drop();
    }
  });
});

describe('revoking', () => {
  it('logs out: every token of the family stops working, other sessions stay', async () => {
    const userId = randomUUID();
    const session = await refreshTokens.issue(userId);
    const rotated = await refreshTokens.rotate(session.token);
    const other = await refreshTokens.issue(userId);
    await refreshTokens.revokeFamilyOf(session.token);
    expect(await refusal(refreshTokens.rotate(rotated.token))).toBe('revoked');
    await expect(refreshTokens.isSessionActive(session.familyId)).resolves.toBe(false);
    await expect(refreshTokens.isSessionActive(other.familyId)).resolves.toBe(true);
  });

  it('ignores logout with an unknown or malformed token', async () => {
    await expect(refreshTokens.revokeFamilyOf(`rt_${'b'.repeat(43)}`)).resolves.toBeUndefined();
    await expect(refreshTokens.revokeFamilyOf('garbage')).resolves.toBeUndefined();
  });

  it('revokes every session of a user, optionally but the current one', async () => {
    const userId = randomUUID();
    const [a, b, c] = [await refreshTokens.issue(userId), await refreshTokens.issue(userId), await refreshTokens.issue(userId)];
    const stranger = await refreshTokens.issue(randomUUID());
    await expect(refreshTokens.revokeAllForUser(userId, { exceptFamilyId: c!.familyId })).resolves.toBe(2);
    expect(await refusal(refreshTokens.rotate(a!.token))).toBe('revoked');
    expect(await refusal(refreshTokens.rotate(b!.token))).toBe('revoked');
    const kept = await refreshTokens.rotate(c!.token);
    await expect(refreshTokens.revokeAllForUser(userId)).resolves.toBe(1);
    expect(await refusal(refreshTokens.rotate(kept.token))).toBe('revoked');
    await expect(refreshTokens.rotate(stranger.token)).resolves.toMatchObject({ userId: stranger.userId });
  });
});

describe('sessions', () => {
  it('is active while its latest token can be refreshed', async () => {
    const { token, familyId } = await refreshTokens.issue(randomUUID());
    await expect(refreshTokens.isSessionActive(familyId)).resolves.toBe(true);
    await refreshTokens.rotate(token);
    await expect(refreshTokens.isSessionActive(familyId)).resolves.toBe(true);
    clock.advance(30 * DAY);
    await expect(refreshTokens.isSessionActive(familyId)).resolves.toBe(false);
    await expect(refreshTokens.isSessionActive(randomUUID())).resolves.toBe(false);
  });

  it('deletes expired tokens', async () => {
    const old = await refreshTokens.issue(randomUUID());
    clock.advance(31 * DAY);
    const fresh = await refreshTokens.issue(randomUUID());
    expect(await refreshTokens.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await refusal(refreshTokens.rotate(old.token))).toBe('unknown');
    await expect(refreshTokens.deleteExpired(new Date(0))).resolves.toBe(0);
    await expect(refreshTokens.rotate(fresh.token)).resolves.toMatchObject({ familyId: fresh.familyId });
  });
});

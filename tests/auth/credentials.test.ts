import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Credentials, normalizeEmail } from '../../src/auth/credentials';
import { AuthError, EmailTaken } from '../../src/auth/errors';
import { authMigrations } from '../../src/auth/migrations';
import { migrate } from '../../src/platform/migrations';
import { authDatabase } from './support';

let db: Awaited<ReturnType<typeof authDatabase>>;
let pool: Pool;
let credentials: Credentials;

beforeAll(async () => {
  db = await authDatabase();
  pool = db.pool;
  credentials = new Credentials(pool);
});

afterAll(async () => {
  await db.close();
});

const uniqueEmail = () => `user-${randomUUID()}@example.com`;

it('normalizes emails by trimming and lower-casing', () => {
  expect(normalizeEmail('  Ann.Lee@Example.COM\t')).toBe('ann.lee@example.com');
});

it('applies its migrations once', async () => {
  await expect(migrate(pool, authMigrations)).resolves.toEqual([]);
  expect(authMigrations.map((m) => m.id).every((id) => id.startsWith('100'))).toBe(true);
});

describe('reserving an email', () => {
  it('stores the credential, found by user id or by the email in any case', async () => {
    const userId = randomUUID();
    const email = uniqueEmail();
    await credentials.reserveEmail(userId, `  ${email.toUpperCase()} `, 'hash-1');
    const expected = { userId, email: email.toUpperCase(), passwordHash: 'hash-1', createdAt: expect.any(Date), updatedAt: expect.any(Date) };
    await expect(credentials.findByUserId(userId)).resolves.toEqual(expected);
    await expect(credentials.findByEmail(email)).resolves.toEqual(expected);
    await expect(credentials.findByEmail(` ${email.toUpperCase()}`)).resolves.toEqual(expected);
  });

  it('finds nothing for an unknown email or user', async () => {
    await expect(credentials.findByEmail(uniqueEmail())).resolves.toBeUndefined();
    await expect(credentials.findByUserId(randomUUID())).resolves.toBeUndefined();
  });

  it('refuses an email another account has, whatever its case', async () => {
    const email = uniqueEmail();
    await credentials.reserveEmail(randomUUID(), email, 'hash');
    const attempt = credentials.reserveEmail(randomUUID(), email.toUpperCase(), 'hash');
    await expect(attempt).rejects.toBeInstanceOf(EmailTaken);
    await expect(attempt).rejects.toBeInstanceOf(AuthError);
    await expect(attempt).rejects.toMatchObject({ code: 'email_taken', kind: 'conflict', name: 'EmailTaken' });
  });

  it('gives exactly one of 20 concurrent registrations with one email', async () => {
    const email = uniqueEmail();
    const userIds = Array.from({ length: 20 }, () => randomUUID());
    const results = await Promise.allSettled(
      userIds.map((userId, i) => credentials.reserveEmail(userId, i % 2 ? email : email.toUpperCase(), `hash-${i}`)),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [userIds[i]] : []));
    expect(winners).toHaveLength(1);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(EmailTaken);
    await expect(credentials.findByEmail(email)).resolves.toMatchObject({ userId: winners[0] });
  });

  it('does not disguise other failures as EmailTaken', async () => {
    const userId = randomUUID();
    await credentials.reserveEmail(userId, uniqueEmail(), 'hash');
    const attempt = credentials.reserveEmail(userId, uniqueEmail(), 'hash');
    await expect(attempt).rejects.toMatchObject({ code: '23505', constraint: 'pl_credentials_pkey' });
    await expect(attempt).rejects.not.toBeInstanceOf(EmailTaken);
  });
});

describe('releasing', () => {
  it('frees the email for another registration', async () => {
    const email = uniqueEmail();
    const first = randomUUID();
    await credentials.reserveEmail(first, email, 'hash');
    await credentials.release(first);
    await expect(credentials.findByUserId(first)).resolves.toBeUndefined();
    const second = randomUUID();
    await credentials.reserveEmail(second, email, 'hash');
    await expect(credentials.findByEmail(email)).resolves.toMatchObject({ userId: second });
  });

  it('is a no-op for an unknown user', async () => {
    await expect(credentials.release(randomUUID())).resolves.toBeUndefined();
  });
});

describe('changing the password hash', () => {
  it('replaces the hash and moves updated_at', async () => {
    const userId = randomUUID();
    await credentials.reserveEmail(userId, uniqueEmail(), 'old-hash');
    const before = (await credentials.findByUserId(userId))!;
    await expect(credentials.setPasswordHash(userId, 'new-hash')).resolves.toBe(true);
    const after = (await credentials.findByUserId(userId))!;
    expect(after.passwordHash).toBe('new-hash');
    expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
    expect(after.createdAt).toEqual(before.createdAt);
  });

  it('answers false for a user without a credential', async () => {
    await expect(credentials.setPasswordHash(randomUUID(), 'hash')).resolves.toBe(false);
  });
});

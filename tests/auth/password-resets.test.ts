import { createLogger } from '../../src/platform/logger';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Writable } from 'node:stream';
import { InvalidResetToken } from '../../src/auth/errors';
import { LogMailer, type Mailer } from '../../src/auth/mailer';
import { PasswordResets } from '../../src/auth/password-resets';
import { authDatabase, tableDump, TestClock } from './support';

const MINUTE = 60_000;

let db: Awaited<ReturnType<typeof authDatabase>>;
let clock: TestClock;
let resets: PasswordResets;

beforeAll(async () => {
  db = await authDatabase();
});

beforeEach(() => {
  clock = new TestClock();
  resets = new PasswordResets(db.pool, { now: clock.now });
});

afterAll(async () => {
  await db.close();
});

async function refusal(attempt: Promise<unknown>): Promise<string> {
  const error: unknown = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidResetToken);
  expect(error).toMatchObject({ code: 'invalid_reset_token', kind: 'invalid' });
  return (error as InvalidResetToken).reason;
}

describe('reset tokens', () => {
  it('are opaque prt_ tokens stored only as their SHA-256', async () => {
    const token = await resets.create(randomUUID());
    expect(token).toMatch(/^prt_[A-Za-z0-9_-]{43}$/);
    const dump = await tableDump(db.pool, 'pl_password_resets');
    expect(dump).not.toContain(token.slice(4));
    expect(dump).not.toContain(Buffer.from(token.slice(4), 'base64url').toString('hex'));
  });

  it('give their user once, then are refused', async () => {
    const userId = randomUUID();
    const token = await resets.create(userId);
    await expect(resets.consume(token)).resolves.toBe(userId);
    expect(await refusal(resets.consume(token))).toBe('unknown_used_or_expired');
  });

  it('expire after 30 minutes', async () => {
    const userId = randomUUID();
    const early = await resets.create(userId);
    const late = await resets.create(randomUUID());
    clock.advance(30 * MINUTE - 1);
    await expect(resets.consume(early)).resolves.toBe(userId);
    clock.advance(1);
    expect(await refusal(resets.consume(late))).toBe('unknown_used_or_expired');
  });

  it('take a configured lifetime and the real clock by default', async () => {
    const real = new PasswordResets(db.pool);
    const token = await real.create(randomUUID());
    await expect(real.consume(token)).resolves.toEqual(expect.any(String));
    const shortLived = new PasswordResets(db.pool, { ttlMs: 5 * MINUTE, now: clock.now });
    const expiring = await shortLived.create(randomUUID());
    clock.advance(5 * MINUTE);
    expect(await refusal(shortLived.consume(expiring))).toBe('unknown_used_or_expired');
  });

  it('spend the user’s other outstanding tokens, and only that user’s', async () => {
    const userId = randomUUID();
    const first = await resets.create(userId);
    const second = await resets.create(userId);
    const someoneElse = randomUUID();
    const theirs = await resets.create(someoneElse);
    await expect(resets.consume(second)).resolves.toBe(userId);
    expect(await refusal(resets.consume(first))).toBe('unknown_used_or_expired');
    await expect(resets.consume(theirs)).resolves.toBe(someoneElse);
  });

  it('refuse malformed and unknown tokens', async () => {
    for (const token of ['', 'prt_', `rt_${'a'.repeat(43)}`, `prt_${'a'.repeat(42)}`, `prt_${'a'.repeat(43)} `]) {
      expect(await refusal(resets.consume(token))).toBe('malformed');
    }
    expect(await refusal(resets.consume(`prt_${'a'.repeat(43)}`))).toBe('unknown_used_or_expired');
  });

  it('are consumed once under concurrency', async () => {
    const userId = randomUUID();
    const token = await resets.create(userId);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => resets.consume(token)));
    expect(results.filter((r) => r.status === 'fulfilled')).toEqual([{ status: 'fulfilled', value: userId }]);
  });
});

describe('the development mailer', () => {
  it('writes the reset mail as one structured log line', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const mailer: Mailer = new LogMailer(pino({ base: undefined }, sink));
    await mailer.sendPasswordReset('ann@example.com', 'prt_token');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, mail: 'password-reset', email: 'ann@example.com', token: 'prt_token', msg: expect.stringContaining('development mailer') });
  });

  it('leaves neither the address nor the token in the service log', async () => {
    const lines: string[] = [];
    await new LogMailer(createLogger('info', { write: (line: string) => void lines.push(line) })).sendPasswordReset('ann@example.com', 'prt_token');
    expect(JSON.parse(lines[0]!)).toMatchObject({ mail: 'password-reset', email: '[REDACTED]', token: '[REDACTED]' });
  });
});

import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { InvalidResetToken } from './errors';
import { isOpaqueToken, newOpaqueToken, sha256 } from './opaque-tokens';

const PREFIX = 'prt';

export interface PasswordResetOptions {
  /** How long a reset token stays valid; default 30 minutes. */
  ttlMs?: number;
  now?: () => Date;
}

/**
 * Single-use password-reset tokens (`prt_…`) in `pl_password_resets`, stored only as SHA-256
 * digests and valid for 30 minutes.
 *
 * ```ts
 * const resets = new PasswordResets(pool);
 * await mailer.sendPasswordReset(credential.email, await resets.create(credential.userId));
 * ```
 */
export class PasswordResets {
  private readonly ttlMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    options: PasswordResetOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30 * 60 * 1000;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * A new reset token for a user, to be mailed to them (never returned over the API).
   *
   * ```ts
   * const token = await resets.create(userId); // 'prt_…'
   * ```
   */
  async create(userId: string): Promise<string> {
    const token = newOpaqueToken(PREFIX);
    const now = this.now();
    await this.pool.query(
      'insert into pl_password_resets (id, user_id, token_hash, created_at, expires_at) values ($1, $2, $3, $4, $5)',
      [randomUUID(), userId, sha256(token), now, new Date(now.getTime() + this.ttlMs)],
    );
    return token;
  }

  /**
   * Spends a token and returns its user; every other outstanding token of that user is spent
   * with it. Throws `InvalidResetToken` when the token is malformed, unknown, already used or
   * expired. Of concurrent consumptions of one token, exactly one succeeds.
   *
   * ```ts
   * const userId = await resets.consume(body.token);
   * await credentials.setPasswordHash(userId, await hashPassword(body.password));
   * ```
   */
  async consume(token: string): Promise<string> {
    if (!isOpaqueToken(PREFIX, token)) throw new InvalidResetToken('malformed');
    const now = this.now();
    const { rows } = await this.pool.query<{ user_id: string }>(
      'update pl_password_resets set used_at = $2 where token_hash = $1 and used_at is null and expires_at > $2 returning user_id',
      [sha256(token), now],
    );
    if (!rows[0]) throw new InvalidResetToken('unknown_used_or_expired');
    // a statement of its own: spending the user's other tokens in the same one could deadlock with their consumption
    await this.pool.query('update pl_password_resets set used_at = $2 where user_id = $1 and used_at is null', [rows[0].user_id, now]);
    return rows[0].user_id;
  }
}

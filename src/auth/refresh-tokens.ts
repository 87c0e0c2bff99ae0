import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { InvalidRefreshToken, RefreshTokenReused } from './errors';
import { isOpaqueToken, newOpaqueToken, sha256 } from './opaque-tokens';

const PREFIX = 'rt';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RefreshTokenOptions {
  /** Lifetime of each token, renewed on every rotation; default 30 days. */
  ttlMs?: number;
  now?: () => Date;
}

/** A refresh token as handed to the client, once. */
export interface IssuedRefreshToken {
  userId: string;
  /** The session: every token obtained by rotating from one login. Use it as the access token's `sessionId`. */
  familyId: string;
  /** `rt_` + 43 base64url characters. */
  token: string;
  expiresAt: Date;
}

type TokenRow = { id: string; family_id: string; user_id: string; expires_at: Date; used_at: Date | null; revoked_at: Date | null };

/**
 * Opaque, rotating refresh tokens in `pl_refresh_tokens`, stored only as SHA-256 digests. Each
 * login starts a family; each refresh spends a token and issues its successor in the family;
 * presenting a spent token again revokes the whole family (it was stolen, or the client is broken).
 *
 * ```ts
 * const refreshTokens = new RefreshTokens(pool, { ttlMs: config.refreshTtlMs });
 * const { token, familyId } = await refreshTokens.issue(userId);
 * ```
 */
export class RefreshTokens {
  private readonly ttlMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    options: RefreshTokenOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30 * DAY_MS;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Starts a new family (a session) for a user who just proved who they are.
   *
   * ```ts
   * const refresh = await refreshTokens.issue(userId); // { token: 'rt_…', familyId, userId, expiresAt }
   * ```
   */
  issue(userId: string): Promise<IssuedRefreshToken> {
    return this.insert(this.pool, userId, randomUUID(), this.now());
  }

  /**
   * Exchanges a token for its successor in the same family, in one transaction that locks the
   * token's row: of concurrent rotations of one token, exactly one succeeds. Throws
   * `InvalidRefreshToken` for an unknown, expired or revoked token, and `RefreshTokenReused`
   * (after revoking the family) for a token already exchanged.
   *
   * ```ts
   * const { userId, familyId, token } = await refreshTokens.rotate(body.refreshToken);
   * ```
   */
  async rotate(token: string): Promise<IssuedRefreshToken> {
    if (!isOpaqueToken(PREFIX, token)) throw new InvalidRefreshToken('malformed');
    const now = this.now();
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query<TokenRow>(
        `select id, family_id, user_id, expires_at, used_at, revoked_at from pl_refresh_tokens where token_hash = $1 for update`,
        [sha256(token)],
      );
      const row = rows[0];
      const refusal = !row ? 'unknown' : row.revoked_at ? 'revoked' : row.used_at ? 'reused' : row.expires_at <= now ? 'expired' : undefined;
      if (refusal === 'reused') {
        await client.query('update pl_refresh_tokens set revoked_at = $2 where family_id = $1 and revoked_at is null', [row!.family_id, now]);
        await client.query('commit');
        throw new RefreshTokenReused(row!.user_id, row!.family_id);
      }
      if (refusal) {
        await client.query('rollback');
        throw new InvalidRefreshToken(refusal);
      }
      await client.query('update pl_refresh_tokens set used_at = $2 where id = $1', [row!.id, now]);
      const next = await this.insert(client, row!.user_id, row!.family_id, now);
      await client.query('commit');
      return next;
    } catch (error) {
      if (!(error instanceof InvalidRefreshToken)) await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Ends the session a token belongs to (logout): every token of its family stops working.
   * An unknown or malformed token is ignored.
   *
   * ```ts
   * await refreshTokens.revokeFamilyOf(body.refreshToken);
   * ```
   */
  async revokeFamilyOf(token: string): Promise<void> {
    if (!isOpaqueToken(PREFIX, token)) return;
    await this.pool.query(
      `update pl_refresh_tokens set revoked_at = $2
        where family_id = (select family_id from pl_refresh_tokens where token_hash = $1) and revoked_at is null`,
      [sha256(token), this.now()],
    );
  }

  /**
   * Ends every session of a user (password change, deactivation), except optionally the caller's
   * own. Returns how many sessions (families) were ended.
   *
   * ```ts
   * await refreshTokens.revokeAllForUser(userId, { exceptFamilyId: auth.sessionId });
   * ```
   */
  async revokeAllForUser(userId: string, options: { exceptFamilyId?: string } = {}): Promise<number> {
    const { rows } = await this.pool.query<{ sessions: number }>(
      `with revoked as (
         update pl_refresh_tokens set revoked_at = $2
          where user_id = $1 and revoked_at is null and ($3::uuid is null or family_id <> $3::uuid)
          returning family_id
       )
       select count(distinct family_id)::int as sessions from revoked`,
      [userId, this.now(), options.exceptFamilyId ?? null],
    );
    return rows[0]!.sessions;
  }

  /**
   * Whether a session (family) can still be refreshed: it has an unspent, unrevoked, unexpired
   * token. Lets the API refuse an access token at once after logout or deactivation.
   *
   * ```ts
   * if (!(await refreshTokens.isSessionActive(claims.sessionId))) throw unauthorized();
   * ```
   */
  async isSessionActive(familyId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ active: boolean }>(
      `select exists (select 1 from pl_refresh_tokens
        where family_id = $1 and used_at is null and revoked_at is null and expires_at > $2) as active`,
      [familyId, this.now()],
    );
    return rows[0]!.active;
  }

  /**
   * Deletes tokens expired before `olderThan` (default: now); for a periodic clean-up job.
   * Returns how many were deleted.
   *
   * ```ts
   * await refreshTokens.deleteExpired();
   * ```
   */
  async deleteExpired(olderThan: Date = this.now()): Promise<number> {
    const { rowCount } = await this.pool.query('delete from pl_refresh_tokens where expires_at < $1', [olderThan]);
    return Number(rowCount);
  }

  private async insert(db: Pool | PoolClient, userId: string, familyId: string, now: Date): Promise<IssuedRefreshToken> {
    const token = newOpaqueToken(PREFIX);
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    await db.query(
      `insert into pl_refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)`,
      [randomUUID(), familyId, userId, sha256(token), now, expiresAt],
    );
    return { userId, familyId, token, expiresAt };
  }
}
